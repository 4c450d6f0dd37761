/** Layers in build order; a model may only read from its own layer or earlier ones. Each is a schema and a folder of the models. */
export const MODEL_SCHEMAS = ['staging', 'intermediate', 'marts'] as const;

export type ModelSchema = (typeof MODEL_SCHEMAS)[number];
