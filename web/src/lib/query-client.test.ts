import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import { invalidateAfterWrite } from "./query-client";

/** A list whose first read is in flight when a write lands and invalidates it (the delivery log opened by Send test). */
async function raced(invalidate: (client: QueryClient, key: readonly unknown[]) => Promise<void>): Promise<string[]> {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const key = ["deliveries"];
  const stored: string[] = [];
  let reads = 0;
  const observer = new QueryObserver<string[]>(client, {
    queryKey: key,
    queryFn: async () => {
      reads += 1;
      const seen = [...stored]; // read now (before the write commits on the first read)...
      await new Promise((resolve) => setTimeout(resolve, reads === 1 ? 30 : 0)); // ...answered later
      return seen;
    },
  });
  const unsubscribe = observer.subscribe(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 5));
  stored.push("ping"); // the write commits while the first read is in flight
  await invalidate(client, key);
  await new Promise((resolve) => setTimeout(resolve, 50));
  unsubscribe();
  return observer.getCurrentResult().data ?? [];
}

describe("invalidating after a write", () => {
  it("plain invalidation keeps a first read made before the write (what the helper exists for)", async () => {
    expect(await raced((client, queryKey) => client.invalidateQueries({ queryKey }))).toEqual([]);
  });

  it("never keeps an answer read before the write", async () => {
    expect(await raced(invalidateAfterWrite)).toEqual(["ping"]);
  });
});
