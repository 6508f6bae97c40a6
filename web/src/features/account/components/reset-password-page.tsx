import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError, Notice } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { AuthCard } from "@/components/ui/auth-card";

import { useConfirmReset, useRequestReset } from "../api";

function RequestReset() {
  const request = useRequestReset();
  const [email, setEmail] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate(email);
  };
  return (
    <AuthCard title="Reset your password" footer={<Link className="font-medium text-blue-700 underline dark:text-blue-300" to="/login">Back to sign in</Link>}>
      {request.isSuccess ? <Notice>{request.data.detail}</Notice> : (
        <form onSubmit={submit} className="space-y-4" noValidate>
          <p className="text-sm text-gray-700 dark:text-gray-300">We will e-mail you a link to choose a new password.</p>
          <ErrorNotice error={request.error && !fieldError(request.error, "email") ? request.error : null} />
          <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(request.error, "email")} />
          <Button type="submit" className="w-full" busy={request.isPending}>Send the link</Button>
        </form>
      )}
    </AuthCard>
  );
}

function ChooseNew({ token }: { token: string }) {
  const confirm = useConfirmReset();
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    confirm.mutate({ token, password }, { onSuccess: () => navigate("/", { replace: true }) });
  };
  return (
    <AuthCard title="Choose a new password">
      <form onSubmit={submit} className="space-y-4" noValidate>
        <ErrorNotice error={confirm.error && !fieldError(confirm.error, "password") ? confirm.error : null} />
        <TextField label="New password" type="password" autoComplete="new-password" minLength={10} required value={password} onChange={(e) => setPassword(e.target.value)} hint="At least 10 characters." error={fieldError(confirm.error, "password")} />
        <Button type="submit" className="w-full" busy={confirm.isPending}>Save and sign in</Button>
      </form>
    </AuthCard>
  );
}

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token");
  return token ? <ChooseNew token={token} /> : <RequestReset />;
}
