import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api } from "./api";
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
