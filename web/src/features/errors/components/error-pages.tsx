import { Link } from "react-router";

import { useToken } from "@/lib/session-hooks";

function ErrorPage({ code, title, children }: { code: number; title: string; children: React.ReactNode }) {
  return (
    <main id="main" className="mx-auto max-w-lg px-4 py-20 text-center">
      <p className="text-sm font-semibold text-blue-700 dark:text-blue-300">{code}</p>
      <h1 className="mt-2 text-3xl font-bold">{title}</h1>
      <div className="mt-4 text-gray-700 dark:text-gray-300">{children}</div>
    </main>
  );
}

export function NotFoundPage() {
  return (
    <ErrorPage code={404} title="Page not found">
      <p>This page does not exist, or you cannot see it.</p>
      <p className="mt-6"><Link className="font-medium text-blue-700 underline dark:text-blue-300" to="/">Go to the start page</Link></p>
    </ErrorPage>
  );
}

export function ForbiddenPage() {
  const signedIn = useToken() !== null;
  return (
    <ErrorPage code={403} title="Not allowed">
      <p>Your role in this community does not allow this. An admin can change your role.</p>
      <p className="mt-6">
        {signedIn
          ? <Link className="font-medium text-blue-700 underline dark:text-blue-300" to="/">Go to the start page</Link>
          : <Link className="font-medium text-blue-700 underline dark:text-blue-300" to="/login">Sign in</Link>}
      </p>
    </ErrorPage>
  );
}
