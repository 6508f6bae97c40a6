import { useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { Avatar } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton, Notice } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { useMe } from "@/lib/session-hooks";

import { useChangePassword, useSendVerification, useSignOutEverywhere, useUpdateProfile, useUploadAvatar } from "../api";

const PICTURE_TYPES = "image/png,image/jpeg,image/gif,image/webp";

function Picture({ user, org }: { user: { id: string; display_name: string; avatar_url: string | null }; org: string | null }) {
  const upload = useUploadAvatar();
  const remove = useUpdateProfile();
  const [progress, setProgress] = useState<number | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const choose = (file: File | undefined) => {
    if (!file || !org) return;
    upload.mutate({ org, file, onProgress: setProgress }, { onSettled: () => { setProgress(null); if (input.current) input.current.value = ""; } });
  };
  return (
    <div className="flex items-center gap-4">
      {user.avatar_url
        ? <img src={user.avatar_url} alt={`${user.display_name} (you)`} className="size-16 shrink-0 rounded-full object-cover" />
        : <span className="scale-150 p-3"><Avatar user={user} /></span>}
      <div className="min-w-0 space-y-2 text-sm">
        {org ? (
          <>
            <label className="block font-medium" htmlFor="avatar-file">Picture</label>
            <input id="avatar-file" ref={input} type="file" accept={PICTURE_TYPES} disabled={upload.isPending}
              aria-describedby="avatar-hint" onChange={(e) => choose(e.target.files?.[0])}
              className="block w-full text-sm file:mr-3 file:rounded-md file:border-0 file:bg-gray-100 file:px-3 file:py-1.5 file:font-medium dark:file:bg-gray-800" />
            <p id="avatar-hint" className="text-xs text-gray-600 dark:text-gray-400">PNG, JPEG, GIF or WebP, at most 5 MB.</p>
          </>
        ) : <p className="text-gray-700 dark:text-gray-300">You can add a picture once you belong to a community; until then your initials show.</p>}
        {progress !== null && <progress className="w-40" max={1} value={progress} aria-label="Uploading your picture" />}
        {upload.isSuccess && progress === null && <Notice>Picture saved.</Notice>}
        <ErrorNotice error={upload.error ?? remove.error} />
        {user.avatar_url && (
          <Button size="sm" variant="ghost" busy={remove.isPending} onClick={() => remove.mutate({ avatar_url: null })}>Remove picture</Button>
        )}
      </div>
    </div>
  );
}

function Profile({ name }: { name: string }) {
  const update = useUpdateProfile();
  const [displayName, setDisplayName] = useState(name);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ display_name: displayName });
  };
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {update.isSuccess && <Notice>Profile saved.</Notice>}
      <ErrorNotice error={update.error && !fieldError(update.error, "display_name") ? update.error : null} />
      <TextField label="Display name" required maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={fieldError(update.error, "display_name")} />
      <Button type="submit" busy={update.isPending}>Save profile</Button>
    </form>
  );
}

function Password() {
  const change = useChangePassword();
  const [form, setForm] = useState({ current_password: "", new_password: "" });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate(form, { onSuccess: () => setForm({ current_password: "", new_password: "" }) });
  };
  return (
    <Card title="Password">
      <form onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
        {change.isSuccess && <Notice>Password changed. Your other sessions were signed out.</Notice>}
        <ErrorNotice error={change.error && !fieldError(change.error, "current_password") && !fieldError(change.error, "new_password") ? change.error : null} />
        <TextField label="Current password" type="password" autoComplete="current-password" value={form.current_password} onChange={(e) => setForm({ ...form, current_password: e.target.value })} error={fieldError(change.error, "current_password")} />
        <TextField label="New password" type="password" autoComplete="new-password" minLength={10} value={form.new_password} onChange={(e) => setForm({ ...form, new_password: e.target.value })} hint="At least 10 characters." error={fieldError(change.error, "new_password")} />
        <Button type="submit" busy={change.isPending}>Change password</Button>
      </form>
    </Card>
  );
}

export function AccountPage() {
  const me = useMe();
  const verify = useSendVerification();
  const everywhere = useSignOutEverywhere();
  const navigate = useNavigate();
  if (me.isPending) return <ListSkeleton label="Loading your account" />;
  if (me.isError) return <ErrorNotice error={me.error} />;
  const user = me.data.user;
  // A picture is uploaded in a community where I may post (the server keeps it there, under its quota).
  const pictureOrg = me.data.memberships.find((m) => m.status === "active" && m.role !== "guest")?.organization.slug ?? null;
  return (
    <main id="main" className="mx-auto max-w-2xl space-y-6 px-4 py-8">
      <PageHeader title="Your account" subtitle={<span className="flex items-center gap-2"><Avatar user={user} size="sm" /> {user.email}</span>} />
      <Card title="E-mail address">
        <div className="space-y-3 p-4 sm:p-6 text-sm">
          {user.email_verified ? <p>{user.email} is verified.</p> : (
            <>
              <p>{user.email} is not verified yet. Open the link we sent, or ask for a new one.</p>
              {verify.isSuccess ? <Notice>Sent to {verify.data.email}.</Notice> : <Button size="sm" busy={verify.isPending} onClick={() => verify.mutate()}>Send the verification e-mail</Button>}
              <ErrorNotice error={verify.error} />
            </>
          )}
        </div>
      </Card>
      <Card title="Profile">
        <div className="space-y-6 p-4 sm:p-6">
          <Picture user={{ id: user.id, display_name: user.display_name, avatar_url: user.avatar_url ?? null }} org={pictureOrg} />
          <Profile key={user.id} name={user.display_name} />
        </div>
      </Card>
      <Password />
      <Card title="Sessions">
        <div className="space-y-3 p-4 sm:p-6 text-sm">
          <p>Signs you out on every device and browser, this one included.</p>
          <Button variant="danger" busy={everywhere.isPending} onClick={() => everywhere.mutate(undefined, { onSuccess: () => navigate("/login", { replace: true }) })}>Sign out everywhere</Button>
          <ErrorNotice error={everywhere.error} />
        </div>
      </Card>
    </main>
  );
}
