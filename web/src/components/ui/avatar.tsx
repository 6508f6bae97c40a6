export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")).toUpperCase();
}

const COLORS = ["bg-blue-700", "bg-green-700", "bg-purple-700", "bg-rose-700", "bg-teal-700", "bg-orange-700", "bg-indigo-700"];

function colorOf(id: string): string {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length] ?? "bg-gray-700";
}

/** Initials (or the picture) with a presence dot when `online` is known. */
export function Avatar({ user, online, size = "md" }: {
  user: { id: string; display_name: string; avatar_url?: string | null };
  online?: boolean | undefined;
  size?: "sm" | "md";
}) {
  const box = size === "sm" ? "h-7 w-7 text-xs" : "h-9 w-9 text-sm";
  return (
    <span className="relative inline-flex shrink-0">
      {user.avatar_url ? (
        <img src={user.avatar_url} alt="" className={`${box} rounded-full object-cover`} />
      ) : (
        <span aria-hidden="true" className={`${box} ${colorOf(user.id)} inline-flex items-center justify-center rounded-full font-semibold text-white`}>
          {initials(user.display_name)}
        </span>
      )}
      {online !== undefined && (
        <span
          role="img"
          aria-label={online ? `${user.display_name} is online` : `${user.display_name} is offline`}
          className={`absolute -right-0.5 -bottom-0.5 h-3 w-3 rounded-full ring-2 ring-white dark:ring-gray-900 ${online ? "bg-green-600" : "bg-gray-400"}`}
        />
      )}
    </span>
  );
}
