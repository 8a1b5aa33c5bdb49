import { startProxy, type RunningProxy } from './proxy.ts';

export type PublicationHoldingProxy = RunningProxy & {
  /**
   * From now on, every manifest PUT is held unanswered, as if the publisher died in the
   * middle of publishing; resolves when the first one arrives. Blobs still go through.
   */
  holdManifests(): Promise<void>;
  /** Manifest PUTs go through again (held ones stay unanswered until their client goes). */
  release(): void;
};

/**
 * A proxy in front of a registry that can stop a publication between its blobs and its
 * manifest, so a test can kill the publishing process at exactly that point.
 */
export async function startPublicationHoldingProxy(target: string): Promise<PublicationHoldingProxy> {
  let onHeld: (() => void) | undefined;
  const proxy = await startProxy({
    target,
    intercept: (req) => {
      if (onHeld === undefined || req.method !== 'PUT' || !/\/manifests\//.test(req.url ?? '')) return false;
      onHeld();
      return true; // never answered
    },
  });
  return {
    ...proxy,
    holdManifests: () => new Promise<void>((resolve) => (onHeld = resolve)),
    release: () => {
      onHeld = undefined;
    },
  };
}
