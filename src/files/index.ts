export { writeFileAtomic, writeStreamAtomic, tempPathFor } from './atomic-write.ts';
export { joinInside } from './safe-path.ts';
