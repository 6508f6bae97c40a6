import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api";
import { uploadFile } from "@/features/resources";
import { saveToken } from "@/lib/session";
import { meKey } from "@/lib/session-hooks";
import type { Me, Schemas } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

type User = Schemas["User"] & { email_verified?: boolean };

export function useUpdateProfile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { display_name?: string; avatar_url?: string | null }) => api.patch<{ user: User }>("/api/me", body),
    onSuccess: ({ user }) => client.setQueryData<Me>(meKey, (me) => (me ? { ...me, user: { ...me.user, ...user } } : me)),
  });
}

/** The avatar from a picture: uploaded in one of my communities (an image upload), then set as mine. */
export function useUploadAvatar() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ org, file, onProgress }: { org: string; file: File; onProgress: (fraction: number) => void }) => {
      const upload = await uploadFile(org, file, "logo", onProgress);
      return api.put<{ user: User }>("/api/me/avatar", { org, upload_id: upload.id });
    },
    onSuccess: ({ user }) => client.setQueryData<Me>(meKey, (me) => (me ? { ...me, user: { ...me.user, ...user } } : me)),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => api.post<{ user: User; token: string }>("/api/me/password", body),
    // Every other session ends; this tab carries on with the new token.
    onSuccess: ({ token }) => saveToken(token),
  });
}

export function useSendVerification() {
  return useMutation({ mutationFn: () => api.post<{ email: string; expires_at: string }>("/api/me/verification") });
}

export function useVerifyEmail() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => api.post<{ user: User }>("/api/auth/verify-email", { token }),
    onSuccess: () => invalidateAfterWrite(client, meKey),
  });
}

export function useRequestReset() {
  return useMutation({ mutationFn: (email: string) => api.post<{ detail: string }>("/api/auth/password-reset", { email }) });
}

export function useConfirmReset() {
  return useMutation({
    mutationFn: (body: { token: string; password: string }) => api.post<{ user: User; token: string }>("/api/auth/password-reset/confirm", body),
    onSuccess: ({ token }) => saveToken(token),
  });
}

/** Signs this session out on the server (the token is refused on every node), then here. */
export async function signOutHere(): Promise<void> {
  await api.post("/api/auth/logout").catch(() => undefined);
  saveToken(null);
}

export function useSignOutEverywhere() {
  return useMutation({
    mutationFn: () => api.post("/api/auth/logout-all"),
    onSuccess: () => saveToken(null),
  });
}
