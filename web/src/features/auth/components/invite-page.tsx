import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";

import { Button, LinkButton } from "@/components/ui/button";
import { ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { api, ApiError } from "@/lib/api";
import { useToken } from "@/lib/session-hooks";

import { invitationKey, useAcceptInvitation, type InvitationPreview } from "../api";
import { AuthCard } from "@/components/ui/auth-card";

export function InvitePage() {
  const { token = "" } = useParams();
  const signedIn = useToken() !== null;
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: invitationKey(token),
    queryFn: () => api.get<InvitationPreview>(`/api/invitations/${encodeURIComponent(token)}`),
    retry: false,
  });
  const accept = useAcceptInvitation(token);
  const here = `/invite/${encodeURIComponent(token)}`;

  if (preview.isPending) return <AuthCard title="Invitation"><ListSkeleton rows={2} label="Loading the invitation" /></AuthCard>;
  if (preview.isError) {
    const gone = preview.error instanceof ApiError && preview.error.status === 410;
    return (
      <AuthCard title={gone ? "This invitation can no longer be used" : "Invitation not found"}>
        <ErrorNotice error={preview.error} />
        <p className="mt-4 text-sm">Ask the person who invited you for a new link.</p>
      </AuthCard>
    );
  }
  const { organization, role } = preview.data.invitation;
  const join = () => accept.mutate(undefined, {
    onSuccess: () => navigate(`/${encodeURIComponent(organization.slug)}`, { replace: true }),
  });
  const alreadyMember = accept.error instanceof ApiError && accept.error.status === 409;
  return (
    <AuthCard title={`Join ${organization.name}`}>
      <p className="mb-4 text-gray-700 dark:text-gray-300">You are invited to join <strong>{organization.name}</strong> as {role === "admin" ? "an" : "a"} {role}.</p>
      <ErrorNotice error={accept.error} className="mb-4" />
      {alreadyMember ? (
        <LinkButton to={`/${encodeURIComponent(organization.slug)}`} className="w-full">Open {organization.name}</LinkButton>
      ) : signedIn ? (
        <Button className="w-full" onClick={join} busy={accept.isPending}>Accept invitation</Button>
      ) : (
        <div className="space-y-3">
          <LinkButton to={`/signup?next=${encodeURIComponent(here)}`} className="w-full">Create an account to join</LinkButton>
          <p className="text-center text-sm">
            Have an account? <Link className="font-medium text-blue-700 underline dark:text-blue-300" to={`/login?next=${encodeURIComponent(here)}`}>Sign in</Link>
          </p>
        </div>
      )}
    </AuthCard>
  );
}
