/**
 * What `elt run` writes into its output folder besides the summary, as a project
 * declares it in `elt.project.json` (`"outputs": ["docs", "category-ctr-chart"]`):
 * - `docs`: the static docs site of the models (`<out>/docs/`);
 * - `category-ctr-chart`: the CTR-per-category chart (SVG and PNG), drawn from
 *   `marts.category_ctr_daily`: only a project with that mart declares it.
 */
export const PROJECT_OUTPUTS = ['docs', 'category-ctr-chart'] as const;

export type ProjectOutput = (typeof PROJECT_OUTPUTS)[number];

/** Each output as the run's summary names it. */
export const OUTPUT_NAMES: Readonly<Record<ProjectOutput, string>> = { docs: 'docs site', 'category-ctr-chart': 'chart' };

/** What a project that declares no `outputs` gets: the docs site (the chart needs marts it may not have). */
export const DEFAULT_OUTPUTS: readonly ProjectOutput[] = ['docs'];

/** What the clickstream pipeline (the project of no config file) declares. */
export const CLICKSTREAM_OUTPUTS: readonly ProjectOutput[] = ['docs', 'category-ctr-chart'];

const isOutput = (value: unknown): value is ProjectOutput => typeof value === 'string' && (PROJECT_OUTPUTS as readonly string[]).includes(value);

/** A value of the config, for a one-line message: JSON, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 11)}...` : text;
}

/**
 * The `outputs` of a project config, checked: a list of distinct names of PROJECT_OUTPUTS
 * (so at most that many: a longer list has a repeat, refused at the first one).
 * `problem` makes the usage error naming the config file.
 */
export function parseOutputs(value: unknown, problem: (what: string) => Error): ProjectOutput[] {
  if (value === undefined) return [...DEFAULT_OUTPUTS];
  const names = PROJECT_OUTPUTS.map((name) => `"${name}"`).join(', ');
  if (!Array.isArray(value)) throw problem(`"outputs" must be a list of what a run writes besides its summary: ${names}`);
  const outputs: ProjectOutput[] = [];
  for (const [index, entry] of value.entries()) {
    if (!isOutput(entry)) throw problem(`outputs[${index}] must be one of ${names}, not ${shown(entry)}`);
    if (outputs.includes(entry)) throw problem(`outputs[${index}]: "${entry}" is listed twice`);
    outputs.push(entry);
  }
  return outputs;
}
