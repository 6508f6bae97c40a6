import { Link } from "react-router";

import { Button, LinkButton } from "@/components/ui/button";
import { Badge, Card } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { useMe, useToken } from "@/lib/session-hooks";

import { usePublicOrgs } from "../api";

function Directory() {
  const directory = usePublicOrgs();
  const orgs = directory.data?.pages.flatMap((p) => p.organizations) ?? [];
  return (
    <Card title="Public communities" className="mt-8">
      {directory.isPending ? <ListSkeleton rows={3} label="Loading public communities" /> : directory.isError && orgs.length === 0 ? <div className="p-4"><ErrorNotice error={directory.error} /></div>
        : orgs.length === 0 ? <EmptyState title="No public communities yet">An owner can make a community public in its settings.</EmptyState> : (
          <>
            <ul className="divide-y divide-gray-200 dark:divide-gray-800">
              {orgs.map((org) => (
                <li key={org.id} className="flex items-start gap-3 px-4 py-3 sm:px-6">
                  {org.logo_url && <img src={org.logo_url} alt="" className="mt-0.5 size-8 shrink-0 rounded object-cover" />}
                  <div className="min-w-0">
                    <Link to={`/${encodeURIComponent(org.slug)}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{org.name}</Link>
                    {org.description && <p className="text-sm break-words text-gray-700 dark:text-gray-300">{org.description}</p>}
                    <p className="text-xs text-gray-600 dark:text-gray-400">{org.current_member_count} {org.current_member_count === 1 ? "member" : "members"}</p>
                  </div>
                </li>
              ))}
            </ul>
            {directory.hasNextPage && (
              <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
                <Button variant="secondary" size="sm" busy={directory.isFetchingNextPage} onClick={() => void directory.fetchNextPage()}>More communities</Button>
              </div>
            )}
            <ErrorNotice error={directory.error} className="m-3" />
          </>
        )}
    </Card>
  );
}

function MyCommunities() {
  const me = useMe();
  if (me.isPending) return <Card title="Your communities"><ListSkeleton rows={2} label="Loading your communities" /></Card>;
  if (me.isError) return <ErrorNotice error={me.error} />;
  const active = me.data.memberships.filter((m) => m.status !== "removed");
  return (
    <Card title="Your communities" action={<LinkButton to="/new" size="sm">Create a community</LinkButton>}>
      {active.length === 0 ? (
        <EmptyState title="You are not in a community yet">Create one, or open the invitation link someone sent you.</EmptyState>
      ) : (
        <ul className="divide-y divide-gray-200 dark:divide-gray-800">
          {active.map((m) => (
            <li key={m.organization.id} className="flex items-center justify-between gap-2 px-4 py-3 sm:px-6">
              <Link to={`/${encodeURIComponent(m.organization.slug)}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{m.organization.name}</Link>
              <span className="flex gap-1">
                <Badge>{m.role}</Badge>
                {m.status === "suspended" && <Badge tone="red">suspended</Badge>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function LandingPage() {
  const signedIn = useToken() !== null;
  return (
    <main id="main" className="mx-auto max-w-3xl px-4 py-10">
      {signedIn ? (
        <>
          <h1 className="mb-6 text-3xl font-bold">Welcome back</h1>
          <MyCommunities />
        </>
      ) : (
        <section className="py-8 text-center">
          <h1 className="text-4xl font-bold">Community</h1>
          <p className="mt-3 text-lg text-gray-700 dark:text-gray-300">Forums, chat, events and resources for your members — live, in one place.</p>
          <div className="mt-6 flex justify-center gap-3">
            <LinkButton to="/signup">Create an account</LinkButton>
            <LinkButton to="/login" variant="secondary">Sign in</LinkButton>
          </div>
        </section>
      )}
      <Directory />
    </main>
  );
}
