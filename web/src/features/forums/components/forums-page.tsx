import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { Button, LinkButton } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, fieldError, ListSkeleton, Notice } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { orgPath, useOrg } from "@/lib/org";
import { timeAgo } from "@/lib/time";
import { atLeast } from "@/lib/types";

import { flattenForums, useCreateForum, useForums, type Forum } from "../api";

function ForumRow({ forum }: { forum: Forum }) {
  const { slug } = useOrg();
  return (
    <li className="px-4 py-4 sm:px-6">
      <div className="flex flex-wrap items-center gap-2">
        <Link to={orgPath(slug, "forums", forum.id)} className="text-lg font-medium text-blue-700 hover:underline dark:text-blue-300">{forum.name}</Link>
        {forum.is_private && <Badge tone="amber">Private</Badge>}
        {forum.required_role !== "member" && forum.required_role !== "guest" && <Badge tone="purple">{forum.required_role}s</Badge>}
      </div>
      {forum.description && <p className="text-sm text-gray-700 dark:text-gray-300">{forum.description}</p>}
      <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">
        {forum.topic_count} topics · {forum.post_count} posts{forum.last_post_at ? ` · active ${timeAgo(forum.last_post_at)}` : ""}
      </p>
      {forum.children.length > 0 && (
        <ul aria-label={`Sub-forums of ${forum.name}`} className="mt-2 space-y-1 border-l-2 border-gray-200 pl-4 dark:border-gray-700">
          {forum.children.map((child) => (
            <li key={child.id} className="text-sm">
              <Link to={orgPath(slug, "forums", child.id)} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{child.name}</Link>
              {child.is_private && <> <Badge tone="amber">Private</Badge></>}
              <span className="text-gray-600 dark:text-gray-400"> · {child.topic_count} topics</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function NewForumForm({ forums }: { forums: Forum[] }) {
  const { slug } = useOrg();
  const create = useCreateForum(slug);
  const [form, setForm] = useState({ name: "", description: "", parent_id: "", is_private: false });
  const [created, setCreated] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      name: form.name,
      ...(form.description ? { description: form.description } : {}),
      ...(form.parent_id ? { parent_id: form.parent_id } : {}),
      is_private: form.is_private,
    }, {
      onSuccess: ({ forum }) => {
        setCreated(forum.name);
        setForm({ name: "", description: "", parent_id: "", is_private: false });
      },
    });
  };
  return (
    <Card title="New forum" className="scroll-mt-20">
      <form id="new-forum" onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
        {created && <Notice>Forum “{created}” created.</Notice>}
        <ErrorNotice error={create.error && !fieldError(create.error, "name") ? create.error : null} />
        <TextField label="Forum name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={fieldError(create.error, "name")} />
        <TextAreaField label="Forum description" rows={2} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} error={fieldError(create.error, "description")} />
        <SelectField label="Inside" value={form.parent_id} onChange={(e) => setForm({ ...form, parent_id: e.target.value })} error={fieldError(create.error, "parent_id")}>
          <option value="">Top level</option>
          {flattenForums(forums).map(([f, depth]) => <option key={f.id} value={f.id}>{"— ".repeat(depth)}{f.name}</option>)}
        </SelectField>
        <CheckboxField label="Private (staff only)" checked={form.is_private} onChange={(e) => setForm({ ...form, is_private: e.target.checked })} />
        <Button type="submit" busy={create.isPending}>Create forum</Button>
      </form>
    </Card>
  );
}

export function ForumsPage() {
  const { slug, role } = useOrg();
  const forums = useForums(slug);
  const canPost = atLeast(role, "member");
  return (
    <div className="space-y-6">
      <PageHeader title="Forums" actions={canPost && forums.data && forums.data.forums.length > 0 ? <LinkButton to={orgPath(slug, "new-topic")}>New topic</LinkButton> : undefined} />
      <Card>
        {forums.isPending ? <ListSkeleton label="Loading forums" /> : forums.isError ? <div className="p-4"><ErrorNotice error={forums.error} /></div> : forums.data.forums.length === 0 ? (
          <EmptyState title="No forums yet">{atLeast(role, "admin") ? "Create the first one below." : "An admin can create the first forum."}</EmptyState>
        ) : (
          <ul className="divide-y divide-gray-200 dark:divide-gray-800">
            {forums.data.forums.map((f) => <ForumRow key={f.id} forum={f} />)}
          </ul>
        )}
      </Card>
      {atLeast(role, "admin") && forums.data && <NewForumForm forums={forums.data.forums} />}
    </div>
  );
}
