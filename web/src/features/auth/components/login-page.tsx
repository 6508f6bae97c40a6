import { useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { auth0Enabled, completeAuth0Login, startAuth0Login } from "@/lib/auth0";
import { safeNext } from "@/lib/next-path";
import { sessionExpired } from "@/lib/session";
import { useToken } from "@/lib/session-hooks";

import { useLogin } from "../api";
import { AuthCard } from "@/components/ui/auth-card";

export function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const navigate = useNavigate();
  const token = useToken();
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [auth0Error, setAuth0Error] = useState<unknown>(null);
  const viaAuth0 = auth0Enabled();
  const expired = (useLocation().state as { expired?: boolean } | null)?.expired === true || sessionExpired();

  useEffect(() => {
    if (!viaAuth0) return;
    completeAuth0Login().then((target) => {
      if (target) navigate(safeNext(target), { replace: true });
    }, setAuth0Error);
  }, [viaAuth0, navigate]);

  useEffect(() => {
    if (token && !viaAuth0) navigate(next, { replace: true });
  }, [token, next, navigate, viaAuth0]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email, password }, { onSuccess: () => navigate(next, { replace: true }) });
  };

  const signupLink = next === "/" ? "/signup" : `/signup?next=${encodeURIComponent(next)}`;
  if (viaAuth0) {
    return (
      <AuthCard title="Sign in">
        <ErrorNotice error={auth0Error} className="mb-4" />
        <Button className="w-full" onClick={() => void startAuth0Login(next)}>Continue to sign in</Button>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Sign in" footer={<>New here? <Link className="font-medium text-blue-700 underline dark:text-blue-300" to={signupLink}>Create an account</Link></>}>
      <form onSubmit={submit} className="space-y-4" noValidate>
        {expired && !login.error && <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">Your session ended. Sign in again to go back where you were.</p>}
        <ErrorNotice error={login.error && !fieldError(login.error, "email") ? login.error : null} />
        <TextField label="Email" type="email" autoComplete="email" required value={email}
          onChange={(e) => setEmail(e.target.value)} error={fieldError(login.error, "email")} />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password}
          onChange={(e) => setPassword(e.target.value)} error={fieldError(login.error, "password")} />
        <Button type="submit" className="w-full" busy={login.isPending}>Sign in</Button>
        <p className="text-center text-sm">
          <Link className="text-blue-700 underline dark:text-blue-300" to="/reset-password">Forgot your password?</Link>
        </p>
      </form>
    </AuthCard>
  );
}
