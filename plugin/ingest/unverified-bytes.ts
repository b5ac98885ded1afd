/**
 * Issue 9 item 3: bytes of request bodies held in memory before their signature is checked, across
 * all connections. Without a cap, 1,000 connections sending 1 MiB unsigned bodies to a known slug
 * held a gigabyte. Each request takes from the budget as its body arrives and gives everything back
 * once it is verified or refused; one partner's slug may hold only its own share, so a flood aimed
 * at one partner leaves room for the others.
 */
export interface UnverifiedBytes {
  /** A request's account for `partner`: `take` says whether `bytes` more fit, `release` gives all back (idempotent). */
  open(partner: string): { take(bytes: number): boolean; release(): void };
  /** Bytes held now, across all partners. */
  readonly held: number;
}

export function createUnverifiedBytes(limits: { maxBytes: number; maxBytesPerPartner: number }): UnverifiedBytes {
  let held = 0;
  const byPartner = new Map<string, number>();

  return {
    get held() {
      return held;
    },
    open(partner) {
      let mine = 0;
      return {
        take(bytes) {
          const partnerHeld = byPartner.get(partner) ?? 0;
          if (held + bytes > limits.maxBytes || partnerHeld + bytes > limits.maxBytesPerPartner) return false;
          held += bytes;
          mine += bytes;
          byPartner.set(partner, partnerHeld + bytes);
          return true;
        },
        release() {
          if (mine === 0) return;
          held -= mine;
          const left = (byPartner.get(partner) ?? mine) - mine;
          if (left > 0) byPartner.set(partner, left);
          else byPartner.delete(partner);
          mine = 0;
        },
      };
    },
  };
}
