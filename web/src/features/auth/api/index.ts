import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api";
import { meKey } from "@/lib/session-hooks";
import { saveToken } from "@/lib/session";
import type { Membership, UserRef } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

interface AuthAnswer {
  user: UserRef & { email: string };
  token: string;
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) => api.post<AuthAnswer>("/api/auth/login", body),
    onSuccess: (answer) => {
      client.removeQueries({ queryKey: meKey });
      saveToken(answer.token);
    },
  });
}

export function useRegister() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string; display_name: string }) =>
      api.post<AuthAnswer>("/api/auth/register", body),
    onSuccess: (answer) => {
      client.removeQueries({ queryKey: meKey });
      saveToken(answer.token);
    },
  });
}

export interface InvitationPreview {
  invitation: {
    email?: string;
    role: string;
    expires_at: string;
    organization: { id: string; slug: string; name: string };
    status?: string;
  };
}

export const invitationKey = (token: string) => ["invitation", token] as const;

export function useAcceptInvitation(token: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ membership: Membership }>(`/api/invitations/${encodeURIComponent(token)}/accept`),
    onSuccess: () => invalidateAfterWrite(client, meKey),
  });
}
