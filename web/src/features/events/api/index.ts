import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import { onFrame } from "@/lib/live";
import type { Page, Schemas } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export type RsvpStatus = "going" | "interested" | "not_going";
export type RegistrationStatus = RsvpStatus | "waitlisted";

export type MyRegistration = Schemas["MyRegistration"];
/** One occurrence of an event (a single event has one): `id` is the series, `occurrence_id` this date. */
export type EventItem = Schemas["Event"];
export type Attendee = Schemas["Attendee"];

export interface EventInput {
  title: string;
  description: string | null;
  event_type: string | null;
  start_time: string;
  end_time: string;
  timezone: string;
  location: string | null;
  meeting_url: string | null;
  max_attendees: number | null;
  registration_required: boolean;
  is_public: boolean;
  recurrence: string | null;
  create_topic?: boolean;
}

export const eventKeys = {
  all: (slug: string) => ["events", slug] as const,
  range: (slug: string, from: string, to: string | null) => ["events", slug, "range", from, to] as const,
  one: (slug: string, id: string, occurrence: string | null) => ["events", slug, "one", id, occurrence] as const,
  attendees: (slug: string, id: string, occurrence: string | null) => ["events", slug, "attendees", id, occurrence] as const,
  feed: ["calendar-feed"] as const,
};

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}/events`;

export function eventIcsUrl(slug: string, id: string): string {
  return `${base(slug)}/${id}/event.ics`;
}

// Someone else created, changed or cancelled an event, or a place opened up for me: refetch what is shown.
onFrame(["event_created", "event_updated", "event_cancelled", "event_deleted", "registration_promoted"], (_, client) => {
  void invalidateAfterWrite(client, ["events"]);
  void invalidateAfterWrite(client, ["dashboard"]);
});

/** Every occurrence in [from, to), earliest first (all pages: a month or a list window). */
export function useEventRange(slug: string, from: string, to: string | null) {
  return useInfiniteQuery({
    queryKey: eventKeys.range(slug, from, to),
    queryFn: ({ pageParam }) =>
      api.get<{ events: EventItem[] } & Page>(withQuery(base(slug), { from, to, cursor: pageParam, limit: 100 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useEvent(slug: string, id: string, occurrence: string | null) {
  return useQuery({
    queryKey: eventKeys.one(slug, id, occurrence),
    queryFn: () => api.get<{ event: EventItem }>(withQuery(`${base(slug)}/${id}`, { occurrence })),
  });
}

/** The dates of one series (for a recurring event's page). */
export function useSeriesDates(slug: string, id: string, from: string, enabled: boolean) {
  return useQuery({
    queryKey: [...eventKeys.all(slug), "series", id, from],
    queryFn: async () => {
      const page = await api.get<{ events: EventItem[] } & Page>(withQuery(base(slug), { from, limit: 100 }));
      return page.events.filter((e) => e.id === id);
    },
    enabled,
  });
}

function useInvalidate(slug: string) {
  const client = useQueryClient();
  return () => Promise.all([
    invalidateAfterWrite(client, eventKeys.all(slug)),
    invalidateAfterWrite(client, ["dashboard"]),
  ]);
}

export function useCreateEvent(slug: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({
    mutationFn: (body: EventInput) => api.post<{ event: EventItem }>(base(slug), body),
    onSuccess: invalidate,
  });
}

export function useUpdateEvent(slug: string, id: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({
    mutationFn: (body: Partial<EventInput> & { occurrence?: string }) => api.patch<{ event: EventItem }>(`${base(slug)}/${id}`, body),
    onSuccess: invalidate,
  });
}

export function useCancelEvent(slug: string, id: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({
    mutationFn: (body: { reason: string; occurrence?: string }) => api.post<{ event: EventItem }>(`${base(slug)}/${id}/cancel`, body),
    onSuccess: invalidate,
  });
}

export function useDeleteEvent(slug: string, id: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({ mutationFn: () => api.del(`${base(slug)}/${id}`), onSuccess: invalidate });
}

export function useRsvp(slug: string, id: string, occurrence: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({
    mutationFn: (status: RsvpStatus) =>
      api.put<Schemas["RegistrationAnswer"]>(`${base(slug)}/${id}/registration`, { status, occurrence }),
    onSuccess: invalidate,
  });
}

export function useWithdraw(slug: string, id: string, occurrence: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({
    mutationFn: () => api.del(withQuery(`${base(slug)}/${id}/registration`, { occurrence })),
    onSuccess: invalidate,
  });
}

export function useAttendees(slug: string, id: string, occurrence: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: eventKeys.attendees(slug, id, occurrence),
    queryFn: ({ pageParam }) =>
      api.get<{ attendees: Attendee[] } & Page>(withQuery(`${base(slug)}/${id}/attendees`, { occurrence, cursor: pageParam, limit: 100 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled,
  });
}

export function useCheckIn(slug: string, id: string, occurrence: string) {
  const invalidate = useInvalidate(slug);
  return useMutation({
    mutationFn: ({ userId, undo }: { userId: string; undo: boolean }) => {
      const path = withQuery(`${base(slug)}/${id}/attendees/${userId}/check-in`, { occurrence });
      return undo ? api.del<{ attendee: Attendee }>(path) : api.post<{ attendee: Attendee }>(path);
    },
    onSuccess: invalidate,
  });
}

export type FeedStatus = Schemas["FeedStatus"];

export function useFeed() {
  return useQuery({ queryKey: eventKeys.feed, queryFn: () => api.get<FeedStatus>("/api/me/calendar-feed") });
}

export function useCreateFeed() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<Schemas["FeedUrl"]>("/api/me/calendar-feed"),
    onSuccess: () => invalidateAfterWrite(client, eventKeys.feed),
  });
}

export function useRevokeFeed() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.del("/api/me/calendar-feed"),
    onSuccess: () => invalidateAfterWrite(client, eventKeys.feed),
  });
}

export type MyRating = Schemas["MyRatingAnswer"];
export type RatingsPage = Schemas["RatingsPage"];

const ratingKeys = {
  mine: (slug: string, id: string, occurrence: string) => ["events", slug, "rating", id, occurrence] as const,
  all: (slug: string, id: string, occurrence: string) => ["events", slug, "ratings", id, occurrence] as const,
};

/** The caller's rating of an occurrence that has ended, and whether they may rate it (attendees only). */
export function useMyRating(slug: string, id: string, occurrence: string, enabled: boolean) {
  return useQuery({
    queryKey: ratingKeys.mine(slug, id, occurrence),
    queryFn: () => api.get<MyRating>(withQuery(`${base(slug)}/${id}/rating`, { occurrence })),
    enabled,
    retry: false,
  });
}

export function useRateEvent(slug: string, id: string, occurrence: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { score: number; comment: string | null }) =>
      api.put<Schemas["RatingAnswer"]>(`${base(slug)}/${id}/rating`, { ...body, occurrence }),
    onSuccess: (data) => {
      client.setQueryData<MyRating>(ratingKeys.mine(slug, id, occurrence), (old) =>
        old ? { ...old, rating: data.rating } : old);
      void invalidateAfterWrite(client, ratingKeys.all(slug, id, occurrence));
    },
  });
}

/** Whoever manages the event: the occurrence's rating summary and the ratings, newest first. */
export function useEventRatings(slug: string, id: string, occurrence: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ratingKeys.all(slug, id, occurrence),
    queryFn: ({ pageParam }) =>
      api.get<RatingsPage>(withQuery(`${base(slug)}/${id}/ratings`, { occurrence, cursor: pageParam, limit: 50 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled,
  });
}
