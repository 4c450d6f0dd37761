import { EltError } from '../../core/errors';
import { readModels } from '../../transform/model-catalog';

/** The error readModels refuses `dir` with (the test fails if it accepts the folder or throws something else). */
export function modelsFolderError(dir: string): EltError {
  try {
    readModels(dir);
  } catch (err) {
    if (err instanceof EltError) return err;
    throw err;
  }
  throw new Error('readModels accepted the folder');
}
