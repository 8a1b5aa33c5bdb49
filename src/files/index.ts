export { writeFileAtomic, writeStreamAtomic, tempPathFor } from './atomic-write.ts';
export { joinInside } from './safe-path.ts';
export { resolveParentInRoot, lstatOrUndefined, type ParentInRoot } from './resolve-parent-in-root.ts';
export { readTextIfExists } from './read-text-if-exists.ts';
