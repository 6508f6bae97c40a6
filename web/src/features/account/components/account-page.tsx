import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { Avatar } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton, Notice } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { useMe } from "@/lib/session-hooks";

import { useChangePassword, useSendVerification, useSignOutEverywhere, useUpdateProfile } from "../api";

function Profile({ name, avatar }: { name: string; avatar: string | null }) {
  const update = useUpdateProfile();
  const [form, setForm] = useState({ display_name: name, avatar_url: avatar ?? "" });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ display_name: form.display_name, avatar_url: form.avatar_url || null });
  };
  return (
    <Card title="Profile">
      <form onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
        {update.isSuccess && <Notice>Profile saved.</Notice>}
        <ErrorNotice error={update.error && !fieldError(update.error, "display_name") && !fieldError(update.error, "avatar_url") ? update.error : null} />
        <TextField label="Display name" required value={form.display_name} onChange={(e) => setForm({ ...form, display_name: e.target.value })} error={fieldError(update.error, "display_name")} />
        <TextField label="Avatar URL" type="url" value={form.avatar_url} onChange={(e) => setForm({ ...form, avatar_url: e.target.value })} hint="An https:// address of a picture; empty shows your initials." error={fieldError(update.error, "avatar_url")} />
        <Button type="submit" busy={update.isPending}>Save profile</Button>
      </form>
    </Card>
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
  const user = me.data.user as typeof me.data.user & { email_verified?: boolean };
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
      <Profile key={user.id} name={user.display_name} avatar={user.avatar_url} />
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
