// Compiled files of deleted sources would otherwise linger in dist/ and still be imported or tested.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
