import { useEffect } from "react";
import { Link, useSearchParams } from "react-router";

import { ErrorNotice, ListSkeleton, Notice } from "@/components/ui/feedback";
import { AuthCard } from "@/components/ui/auth-card";

import { useVerifyEmail } from "../api";

export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const verify = useVerifyEmail();
  const { mutate } = verify;
  useEffect(() => {
    if (token) mutate(token);
  }, [token, mutate]);
  return (
    <AuthCard title="Verify your e-mail address" footer={<Link className="font-medium text-blue-700 underline dark:text-blue-300" to="/">Go to the start page</Link>}>
      {!token ? <ErrorNotice error={new Error("This link has no token. Open the link from the e-mail again.")} />
        : verify.isPending || verify.isIdle ? <ListSkeleton rows={1} label="Loading: verifying" />
          : verify.isError ? <ErrorNotice error={verify.error} /> : <Notice>{verify.data.user.email} is verified. Thank you!</Notice>}
    </AuthCard>
  );
}
