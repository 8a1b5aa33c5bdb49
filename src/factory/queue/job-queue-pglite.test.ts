import { openDatabase } from '../../store/index.ts';
import { jobQueueContract } from './job-queue.contract.ts';

jobQueueContract('PGlite', async () => ({ open: () => openDatabase({ url: 'memory:' }), dispose: async () => undefined }));
