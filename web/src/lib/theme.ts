// An org's theme: its colours and font as CSS variables on <html> (index.css maps them onto the
// app's palette), never raw CSS. Fonts are self-hosted (@fontsource), loaded when first used.

import { useEffect } from "react";

export const FONTS = ["system", "Inter", "Roboto", "Open Sans", "Lato", "Source Sans 3", "Merriweather", "IBM Plex Sans"] as const;
export type Font = (typeof FONTS)[number];

export interface Branding {
  primary_color?: string | null | undefined;
  accent_color?: string | null | undefined;
  font?: Font | string | null | undefined;
}

const LOADERS: Record<Exclude<Font, "system">, () => Promise<unknown>> = {
  Inter: () => Promise.all([import("@fontsource/inter/400.css"), import("@fontsource/inter/600.css"), import("@fontsource/inter/700.css")]),
  Roboto: () => Promise.all([import("@fontsource/roboto/400.css"), import("@fontsource/roboto/500.css"), import("@fontsource/roboto/700.css")]),
  "Open Sans": () => Promise.all([import("@fontsource/open-sans/400.css"), import("@fontsource/open-sans/600.css"), import("@fontsource/open-sans/700.css")]),
  Lato: () => Promise.all([import("@fontsource/lato/400.css"), import("@fontsource/lato/700.css")]),
  "Source Sans 3": () => Promise.all([import("@fontsource/source-sans-3/400.css"), import("@fontsource/source-sans-3/600.css"), import("@fontsource/source-sans-3/700.css")]),
  Merriweather: () => Promise.all([import("@fontsource/merriweather/400.css"), import("@fontsource/merriweather/700.css")]),
  "IBM Plex Sans": () => Promise.all([import("@fontsource/ibm-plex-sans/400.css"), import("@fontsource/ibm-plex-sans/600.css"), import("@fontsource/ibm-plex-sans/700.css")]),
};

const HEX = /^#[0-9a-f]{6}$/i;
export const MIN_CONTRAST = 4.5;

export function isHex(value: string): boolean {
  return HEX.test(value);
}

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG contrast of white text on `hex` (the server refuses a colour below 4.5:1 with the same formula). */
export function contrastWithWhite(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  return 1.05 / (luminance + 0.05);
}

export function fontStack(font: string | null | undefined): string | null {
  if (!font || font === "system" || !(FONTS as readonly string[]).includes(font)) return null;
  const serif = font === "Merriweather";
  return `"${font}", ${serif ? "Georgia, serif" : "ui-sans-serif, system-ui, sans-serif"}`;
}

export function loadFont(font: string | null | undefined): void {
  if (font && font !== "system" && font in LOADERS) void LOADERS[font as Exclude<Font, "system">]();
}

/** The CSS variables of a theme, for <html> or for a preview box. */
export function themeVariables(branding: Branding | null | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  if (branding?.primary_color && isHex(branding.primary_color)) vars["--brand-primary"] = branding.primary_color;
  if (branding?.accent_color && isHex(branding.accent_color)) vars["--brand-accent"] = branding.accent_color;
  const stack = fontStack(branding?.font);
  if (stack) vars["--brand-font"] = stack;
  return vars;
}

// Themes nest (the custom domain's org on every screen, the org being shown inside it): the
// innermost one mounted applies.
const mounted: { id: number; branding: Branding }[] = [];
let applied: string[] = [];
let nextId = 0;

function applyTop(): void {
  const root = document.documentElement;
  for (const name of applied) root.style.removeProperty(name);
  delete root.dataset.brand;
  delete root.dataset.brandFont;
  const top = mounted[mounted.length - 1];
  const vars = themeVariables(top?.branding);
  loadFont(top?.branding.font);
  for (const [name, value] of Object.entries(vars)) root.style.setProperty(name, value);
  if (vars["--brand-primary"]) root.dataset.brand = "";
  if (vars["--brand-font"]) root.dataset.brandFont = "";
  applied = Object.keys(vars);
}

/** Applies an org's theme to the whole app while the calling screen is shown. */
export function useBrandTheme(branding: Branding | null | undefined): void {
  const primary = branding?.primary_color ?? null;
  const accent = branding?.accent_color ?? null;
  const font = branding?.font ?? null;
  useEffect(() => {
    if (!primary && !accent && !font) return undefined;
    const entry = { id: nextId++, branding: { primary_color: primary, accent_color: accent, font } };
    mounted.push(entry);
    applyTop();
    return () => {
      const at = mounted.findIndex((m) => m.id === entry.id);
      if (at >= 0) mounted.splice(at, 1);
      applyTop();
    };
  }, [primary, accent, font]);
}
