import { EltError, ExitCode } from '../core/errors';
import { MODEL_SCHEMAS } from './model-layers';

/**
 * An environment's name (`elt build --env <name>`): lower-case letters and digits in
 * words joined by single underscores, starting with a letter, at most 20 characters.
 * Its schemas are `<layer>__<name>` (marts__dev): a layer has no `__`, a name none
 * either, so `<layer>__<name>` is never a production schema (they have no `__`), never
 * another environment's (the first `__` splits it one way only), and fits 63 bytes.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
export const MAX_ENVIRONMENT_NAME = 20;

/** Between a layer and an environment's name in the environment's schemas. */
export const ENVIRONMENT_SEPARATOR = '__';

/** The name, as given, checked: a usage error (exit 2, one line) for anything else. */
export function checkEnvironmentName(name: string): string {
  if (name.length > MAX_ENVIRONMENT_NAME || !ENVIRONMENT_NAME.test(name)) {
    const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
    throw new EltError(
      `environment name ${shown} is not lower-case letters and digits in words joined by single underscores, starting with a letter, at most ${MAX_ENVIRONMENT_NAME} characters (e.g. dev, anna_2)`,
      ExitCode.usage,
    );
  }
  return name;
}

/** The schema of one layer in an environment: `marts__dev`. */
export const environmentSchema = (layer: string, environment: string): string => `${layer}${ENVIRONMENT_SEPARATOR}${environment}`;

/** Every schema an environment may have, one per layer. */
export const environmentSchemas = (environment: string): string[] => MODEL_SCHEMAS.map((layer) => environmentSchema(layer, environment));

/** A model's relation in an environment: `marts.x` becomes `marts__dev.x`. */
export function environmentRelation(model: string, environment: string): string {
  const [layer, relation] = model.split('.') as [string, string];
  return `${environmentSchema(layer, environment)}.${relation}`;
}
