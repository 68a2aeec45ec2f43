// A cell named on the command line: its id (`native-aarch64-gcc`) or
// `arch/toolchain[/target]` (the target may be left out when there is one).
import { OrchestratorError } from '../errors.js';
import { expandMatrix, type Cell } from '../matrix/cells.js';
import type { MatrixConfig } from '../matrix/types.js';
import { nearest } from '../matrix/suggest.js';

export function resolveCell(config: MatrixConfig, name: string): Cell {
  const cells = expandMatrix(config);
  const byId = cells.find((c) => c.id === name);
  if (byId) return byId;
  const parts = name.split('/');
  if (parts.length === 2 || parts.length === 3) {
    const [arch, toolchain, target] = parts as [string, string, string | undefined];
    const matching = cells.filter((c) => c.arch.name === arch && c.toolchain.name === toolchain && (target === undefined || c.target.name === target));
    if (matching.length === 1) return matching[0]!;
    if (matching.length > 1) {
      throw new OrchestratorError('USAGE', `cell "${name}" is ambiguous: ${matching.map((c) => `${arch}/${toolchain}/${c.target.name}`).join(', ')}; add the target`);
    }
  }
  const names = cells.flatMap((c) => [c.id, `${c.arch.name}/${c.toolchain.name}/${c.target.name}`, `${c.arch.name}/${c.toolchain.name}`]);
  const near = nearest(name, names);
  throw new OrchestratorError('USAGE', `unknown cell "${name}"${near ? `; did you mean "${near}"?` : ''} (name a cell by its id, e.g. ${cells[0]?.id ?? 'native-x86_64-gcc'}, or as arch/toolchain[/target]; matrix list shows them)`);
}
