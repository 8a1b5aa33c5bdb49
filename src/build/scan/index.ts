/**
 * Static analysis of built package contents: an ELF reader (ELF32/64, either byte
 * order; PT_INTERP, DT_NEEDED, DT_SONAME) and melange's automatic dependency rules
 * (`so:`, `cmd:`, `pc:` dependencies and provides).
 */
export { readElfInfo, isElf, type ElfInfo } from './elf-info.ts';
export { shebangCommand, SHEBANG_BYTES } from './shebang.ts';
export {
  scanDependencies,
  mergeDependencies,
  sonameVersion,
  LIB_DIRS,
  BIN_DIRS,
  type ScanOptions,
  type ScannedPackage,
  type GeneratedDependencies,
} from './scan-dependencies.ts';
