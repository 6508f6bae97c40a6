import { useMemo, useState, type FormEvent } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";

import { MentionTextArea } from "@/components/composer/composer";
import { useDraft } from "@/components/composer/draft";
import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton } from "@/components/ui/feedback";
import { CheckboxField, FieldShell, SelectField, TextField } from "@/components/ui/field";
import { api } from "@/lib/api";
import { markdownPreview, mentionSource } from "@/lib/composer-api";
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
  // Title, text and tags survive a reload (the reply composer's drafts), per forum, until the topic is created.
  const draftKey = `new-topic:${slug}:${fixedForum ?? "any"}`;
  const [title, setTitle, clearTitle] = useDraft(`${draftKey}:title`);
  const [content, setContent, clearContent] = useDraft(`${draftKey}:content`);
  const [tagText, setTags, clearTags] = useDraft(`${draftKey}:tags`);
  const [announce, setAnnounce] = useState(params.get("announce") === "1");
  const form = { title, content, tags: tagText, announce };
  const chosen = forumId || (forums.data ? flattenForums(forums.data.forums)[0]?.[0].id ?? "" : "");
  const create = useCreateTopic(slug, chosen);
  const moderator = atLeast(role, "moderator");
  const render = useMemo(() => markdownPreview(slug), [slug]);
  const mentions = useMemo(() => mentionSource(slug), [slug]);
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
        clearTitle();
        clearContent();
        clearTags();
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
          <TextField label="Title" required value={form.title} onChange={(e) => setTitle(e.target.value)} error={fieldError(create.error, "title")} />
          <FieldShell label="Content" hint="Markdown: **bold**, _italic_, `code`, lists, links, @mentions." error={fieldError(create.error, "content")}>
            {({ id, describedBy, invalid }) => (
              <div className="relative">
                <MentionTextArea id={id} rows={8} required value={form.content} onChange={setContent} mentions={mentions}
                  invalid={invalid} describedBy={describedBy} />
              </div>
            )}
          </FieldShell>
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
          <TextField label="Tags" value={form.tags} onChange={(e) => setTags(e.target.value)} hint="Separated by commas." error={fieldError(create.error, "tags")} />
          {moderator && <CheckboxField label="Announcement (pinned for everyone)" checked={form.announce} onChange={(e) => setAnnounce(e.target.checked)} />}
          <Button type="submit" busy={create.isPending} disabled={!chosen}>Create topic</Button>
        </form>
      </Card>
    </div>
  );
}
