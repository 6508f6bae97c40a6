import { useState, type FormEvent } from "react";

import { Avatar } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, fieldError, ListSkeleton, Notice } from "@/components/ui/feedback";
import { SelectField, TextField } from "@/components/ui/field";
import { useOrg } from "@/lib/org";
import { useOnline } from "@/lib/presence";
import { fullTime, timeAgo } from "@/lib/time";
import { atLeast, ROLES, type Role } from "@/lib/types";

import { useInvitations, useInvite, useMembers, useRemoveMember, useRevokeInvitation, useUpdateMember, type Member } from "../api";

/** Roles this person may hand out: never owner, never above their own. */
function grantable(role: Role | null): Role[] {
  return ROLES.filter((r) => r !== "owner" && atLeast(role, r));
}

function InviteForm() {
  const { slug, role, org } = useOrg();
  const invite = useInvite(slug);
  const [email, setEmail] = useState("");
  const [inviteRole, setInviteRole] = useState<Role>("member");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate({ email, role: inviteRole }, { onSuccess: () => setEmail("") });
  };
  const invitations = useInvitations(slug, true);
  const sent = invite.data?.invitation;
  // Once revoked below, the link no longer works: stop offering it.
  const revoked = sent !== undefined && (invitations.data?.invitations.some((i) => i.id === sent.id && i.status !== "pending") ?? false);
  const link = sent?.token && !revoked ? `${location.origin}/invite/${sent.token}` : null;
  const full = org.member_limit !== null && org.current_member_count >= org.member_limit;
  return (
    <Card title="Invite people" className="scroll-mt-20">
      <form id="invite" onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
        {full && <ErrorNotice error={new Error("Every seat is taken: new members cannot join until a seat is freed or the plan is upgraded.")} />}
        <ErrorNotice error={invite.error && !fieldError(invite.error, "email") ? invite.error : null} />
        <div className="grid gap-4 sm:grid-cols-[1fr_12rem]">
          <TextField label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(invite.error, "email")} />
          <SelectField label="Role" value={inviteRole} onChange={(e) => setInviteRole(e.target.value as Role)} error={fieldError(invite.error, "role")}>
            {grantable(role).map((r) => <option key={r} value={r}>{r}</option>)}
          </SelectField>
        </div>
        <Button type="submit" busy={invite.isPending}>Send invitation</Button>
        {link && (
          <Notice>
            Invitation sent to {invite.data?.invitation.email}. You can also share this link (valid until {fullTime(invite.data?.invitation.expires_at ?? "")}):
            <input readOnly aria-label="Invitation link" value={link} onFocus={(e) => e.target.select()} className="mt-2 block w-full rounded border border-green-300 bg-white px-2 py-1 font-mono text-xs text-gray-900 dark:bg-gray-900 dark:text-gray-100" />
          </Notice>
        )}
      </form>
    </Card>
  );
}

function PendingInvitations() {
  const { slug } = useOrg();
  const invitations = useInvitations(slug, true);
  const revoke = useRevokeInvitation(slug);
  if (invitations.isPending) return <ListSkeleton rows={2} label="Loading invitations" />;
  if (invitations.isError) return <ErrorNotice error={invitations.error} />;
  const pending = invitations.data.invitations.filter((i) => i.status === "pending");
  return (
    <Card title="Pending invitations">
      {pending.length === 0 ? <EmptyState title="No pending invitations" /> : (
        <ul className="divide-y divide-gray-200 dark:divide-gray-800">
          {pending.map((inv) => (
            <li key={inv.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-3 sm:px-6">
              <span className="min-w-0 break-all"><span className="font-medium">{inv.email}</span> <Badge>{inv.role}</Badge>
                <span className="block text-xs text-gray-600 dark:text-gray-400">expires {timeAgo(inv.expires_at)}</span></span>
              <Button size="sm" variant="secondary" busy={revoke.isPending && revoke.variables === inv.id} onClick={() => revoke.mutate(inv.id)}>Revoke</Button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNotice error={revoke.error} className="m-4" />
    </Card>
  );
}

function MemberRow({ member, online }: { member: Member; online: Set<string> | undefined }) {
  const { slug, role, userId } = useOrg();
  const update = useUpdateMember(slug);
  const remove = useRemoveMember(slug);
  const me = member.user.id === userId;
  const manage = atLeast(role, "admin") && !me && member.role !== "owner" && atLeast(role, member.role);
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3 sm:px-6">
      <Avatar user={member.user} online={online ? online.has(member.user.id) : undefined} />
      <div className="min-w-0 flex-1">
        <p className="font-medium">{member.user.display_name}{me && " (you)"}</p>
        <p className="text-xs text-gray-600 dark:text-gray-400">joined {timeAgo(member.joined_at)}</p>
      </div>
      {member.status === "suspended" && <Badge tone="red">suspended</Badge>}
      {manage ? (
        <div className="flex flex-wrap items-end gap-2">
          <div className="w-36">
            <SelectField label={`Role of ${member.user.display_name}`} value={member.role}
              onChange={(e) => update.mutate({ userId: member.user.id, role: e.target.value as Role })}>
              {grantable(role).map((r) => <option key={r} value={r}>{r}</option>)}
            </SelectField>
          </div>
          <Button size="sm" variant="secondary" busy={update.isPending && update.variables.status !== undefined}
            onClick={() => update.mutate({ userId: member.user.id, status: member.status === "suspended" ? "active" : "suspended" })}>
            {member.status === "suspended" ? "Reinstate" : "Suspend"}
          </Button>
          <Button size="sm" variant="danger" busy={remove.isPending}
            onClick={() => { if (window.confirm(`Remove ${member.user.display_name} from the community?`)) remove.mutate(member.user.id); }}>Remove</Button>
        </div>
      ) : <Badge tone={member.role === "owner" || member.role === "admin" ? "purple" : member.role === "moderator" ? "blue" : "gray"}>{member.role}</Badge>}
      <ErrorNotice error={update.error ?? remove.error} className="w-full" />
    </li>
  );
}

export function MembersPage() {
  const { slug, role, org } = useOrg();
  const members = useMembers(slug);
  const online = useOnline(slug);
  const admin = atLeast(role, "admin");
  const list = members.data?.pages.flatMap((p) => p.members) ?? [];
  return (
    <div className="space-y-6">
      <PageHeader title="Members" subtitle={org.member_limit !== null ? `${org.current_member_count} of ${org.member_limit} seats used` : `${org.current_member_count} members`} />
      {admin && <InviteForm />}
      {admin && <PendingInvitations />}
      <Card title="Everyone">
        {members.isPending ? <ListSkeleton label="Loading members" /> : members.isError ? <div className="p-4"><ErrorNotice error={members.error} /></div> : (
          <ul className="divide-y divide-gray-200 dark:divide-gray-800">
            {list.map((m) => <MemberRow key={m.user.id} member={m} online={online} />)}
          </ul>
        )}
        {members.hasNextPage && (
          <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
            <Button variant="secondary" onClick={() => void members.fetchNextPage()} busy={members.isFetchingNextPage}>Load more members</Button>
          </div>
        )}
      </Card>
    </div>
  );
}
