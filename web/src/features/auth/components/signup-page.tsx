import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { auth0Enabled, startAuth0Login } from "@/lib/auth0";
import { safeNext } from "@/lib/next-path";
import { useToken } from "@/lib/session-hooks";

import { useRegister } from "../api";
import { AuthCard } from "@/components/ui/auth-card";

export function SignupPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const navigate = useNavigate();
  const token = useToken();
  const register = useRegister();
  const [form, setForm] = useState({ email: "", password: "", display_name: "" });

  useEffect(() => {
    if (token) navigate(next, { replace: true });
  }, [token, next, navigate]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate(form, { onSuccess: () => navigate(next, { replace: true }) });
  };
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  const loginLink = next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;

  if (auth0Enabled()) {
    return (
      <AuthCard title="Create your account">
        <Button className="w-full" onClick={() => void startAuth0Login(next, true)}>Continue to sign up</Button>
      </AuthCard>
    );
  }
  const fieldNames = ["email", "password", "display_name"];
  const general = register.error && !fieldNames.some((f) => fieldError(register.error, f)) ? register.error : null;
  return (
    <AuthCard title="Create your account" footer={<>Already have an account? <Link className="font-medium text-blue-700 underline dark:text-blue-300" to={loginLink}>Sign in</Link></>}>
      <form onSubmit={submit} className="space-y-4" noValidate>
        <ErrorNotice error={general} />
        <TextField label="Display name" autoComplete="name" required value={form.display_name} onChange={set("display_name")}
          error={fieldError(register.error, "display_name")} />
        <TextField label="Email" type="email" autoComplete="email" required value={form.email} onChange={set("email")}
          error={fieldError(register.error, "email")} />
        <TextField label="Password" type="password" autoComplete="new-password" required minLength={10} value={form.password}
          onChange={set("password")} hint="At least 10 characters." error={fieldError(register.error, "password")} />
        <Button type="submit" className="w-full" busy={register.isPending}>Create account</Button>
      </form>
    </AuthCard>
  );
}
