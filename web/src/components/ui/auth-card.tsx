import type { ReactNode } from "react";
import { Link } from "react-router";

export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main id="main" className="flex min-h-screen flex-col items-center justify-center px-4 py-10">
      <Link to="/" className="mb-6 text-xl font-bold text-blue-700 dark:text-blue-300">Community</Link>
      <div className="w-full max-w-sm rounded-lg bg-white p-6 shadow-sm ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-800">
        <h1 className="mb-4 text-2xl font-bold">{title}</h1>
        {children}
      </div>
      {footer && <div className="mt-4 text-sm text-gray-700 dark:text-gray-300">{footer}</div>}
    </main>
  );
}
