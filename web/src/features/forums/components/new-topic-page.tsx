import { useMemo, useState, type FormEvent } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { api } from "@/lib/api";
import { markdownPreview } from "@/lib/composer-api";
import { orgPath, useOrg } from "@/lib/org";
import { atLeast } from "@/lib/types";

import { flattenForums, useCreateTopic, useForums } from "../api";

export function NewTopicPage() {
  const { forumId: fixedForum } = useParams();
  const [params] = useSearchParams();
  const { slug, role } = useOrg();
  const forums = useForums(slug);
  const navigate = useNavigate();
  const [forumId, setForumId] = useState(fixedForum ?? "");
  const [form, setForm] = useState({ title: "", content: "", tags: "", announce: params.get("announce") === "1" });
  const chosen = forumId || (forums.data ? flattenForums(forums.data.forums)[0]?.[0].id ?? "" : "");
  const create = useCreateTopic(slug, chosen);
  const moderator = atLeast(role, "moderator");
  const render = useMemo(() => markdownPreview(slug), [slug]);
  // The server's own renderer, so the preview is exactly what will be posted.
  const [preview, setPreview] = useState<{ html: string } | { error: unknown } | { pending: true } | null>(null);
  const showPreview = () => {
    setPreview({ pending: true });
    render(form.content).then((html) => setPreview({ html }), (error: unknown) => setPreview({ error }));
  };

  if (forums.isPending) return <ListSkeleton label="Loading forums" />;
  if (forums.isError) return <ErrorNotice error={forums.error} />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const tags = form.tags.split(",").map((t) => t.trim()).filter(Boolean);
    create.mutate({ title: form.title, content: form.content, ...(tags.length ? { tags } : {}) }, {
      onSuccess: async ({ topic }) => {
        if (moderator && form.announce) {
          await api.patch(`/api/orgs/${encodeURIComponent(slug)}/topics/${topic.id}`, { is_announcement: true, is_pinned: true });
        }
        navigate(orgPath(slug, "topics", topic.id));
      },
    });
  };
  const named = ["title", "content", "tags"];
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title={form.announce && moderator ? "New announcement" : "New topic"} />
      <Card>
        <form onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
          <ErrorNotice error={create.error && !named.some((n) => fieldError(create.error, n)) ? create.error : null} />
          {!fixedForum && (
            <SelectField label="Forum" value={chosen} onChange={(e) => setForumId(e.target.value)}>
              {flattenForums(forums.data.forums).map(([f, depth]) => <option key={f.id} value={f.id}>{"— ".repeat(depth)}{f.name}</option>)}
            </SelectField>
          )}
          <TextField label="Title" required value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} error={fieldError(create.error, "title")} />
          <TextAreaField label="Content" required rows={8} value={form.content} onChange={(e) => setForm({ ...form, content: e.target.value })}
            hint="Markdown: **bold**, _italic_, `code`, lists, links, @mentions." error={fieldError(create.error, "content")} />
          <div>
            <Button size="sm" variant="secondary" disabled={!form.content.trim()} busy={preview !== null && "pending" in preview} onClick={showPreview}>Preview</Button>
            {preview && !("pending" in preview) && (
              <div className="mt-2 rounded-md border border-gray-300 p-3 dark:border-gray-600" aria-label="Preview of the content" role="region">
                {"error" in preview ? <ErrorNotice error={preview.error} />
                  // Server-rendered and sanitised (nh3): the only HTML the app ever injects.
                  : <div className="prose-post" dangerouslySetInnerHTML={{ __html: preview.html }} />}
              </div>
            )}
          </div>
          <TextField label="Tags" value={form.tags} onChange={(e) => setForm({ ...form, tags: e.target.value })} hint="Separated by commas." error={fieldError(create.error, "tags")} />
          {moderator && <CheckboxField label="Announcement (pinned for everyone)" checked={form.announce} onChange={(e) => setForm({ ...form, announce: e.target.checked })} />}
          <Button type="submit" busy={create.isPending} disabled={!chosen}>Create topic</Button>
        </form>
      </Card>
    </div>
  );
}
