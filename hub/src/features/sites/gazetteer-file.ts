// Reads the city's gazetteer (hub/data/gazetteer-xian.json unless GAZETTEER_FILE names another) once
// at start. A missing or malformed file stops the hub with a message naming the file and the problem.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Gazetteer, GazetteerFile } from '../../domain/gazetteer.js';

export const DEFAULT_GAZETTEER_FILE = fileURLToPath(new URL('../../../data/gazetteer-xian.json', import.meta.url));

export class GazetteerFileError extends Error {}

export function loadGazetteer(file: string = DEFAULT_GAZETTEER_FILE): Gazetteer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GazetteerFileError(`cannot read the gazetteer ${file}: ${(e as Error).message}`);
  }
  const parsed = GazetteerFile.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new GazetteerFileError(`the gazetteer ${file} is not valid:\n${lines.join('\n')}`);
  }
  return new Gazetteer(parsed.data);
}
