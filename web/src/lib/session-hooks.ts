import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api } from "./api";
import { onFrame } from "./live";
import { onTokenChange, storedToken } from "./session";
import type { Me } from "./types";

export const meKey = ["me"] as const;

export function useToken(): string | null {
  const [token, setToken] = useState(storedToken);
  const client = useQueryClient();
  useEffect(() => onTokenChange((next) => {
    setToken(next);
    if (next === null) client.clear();
  }), [client]);
  return token;
}

export function useMe() {
  const token = useToken();
  return useQuery({ queryKey: meKey, queryFn: () => api.get<Me>("/api/me"), enabled: token !== null });
}

// My role or membership changed (here or on another device): the shell re-reads who I am.
onFrame(["member_role_changed", "member_status_changed", "member_left"], (frame, client) => {
  const me = client.getQueryData<Me>(meKey);
  const target = (frame.user_id ?? (frame.membership as { user?: { id?: string } } | undefined)?.user?.id) as string | undefined;
  if (!me || !target || target === me.user.id) void client.invalidateQueries({ queryKey: meKey });
});
