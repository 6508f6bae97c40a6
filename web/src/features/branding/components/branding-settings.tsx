import { useRef, useState, type CSSProperties, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ErrorNotice, fieldError, Notice } from "@/components/ui/feedback";
import { SelectField, TextField } from "@/components/ui/field";
import { uploadFile } from "@/features/resources";
import { useOrg } from "@/lib/org";
import { contrastWithWhite, FONTS, isHex, loadFont, MIN_CONTRAST, themeVariables, type Branding } from "@/lib/theme";

import { useRemoveLogo, useSaveBranding } from "../api";

const DEFAULTS = { primary_color: "#1d4ed8", accent_color: "#1f2937", font: "system" };
const LOGO_TYPES = "image/png,image/jpeg,image/gif,image/webp";

function ColourField({ label, value, onChange, error }: { label: string; value: string; onChange: (value: string) => void; error: string | undefined }) {
  const valid = isHex(value);
  const ratio = valid ? contrastWithWhite(value) : null;
  const weak = ratio !== null && ratio < MIN_CONTRAST;
  const hint = ratio === null ? "A hex colour such as #1d4ed8." : `White text on it: ${ratio.toFixed(2)}:1${weak ? ` — below ${MIN_CONTRAST}:1, too light to read` : " — readable"}.`;
  return (
    <div className="flex items-start gap-2">
      <input type="color" aria-label={`${label} picker`} value={valid ? value : "#000000"} onChange={(e) => onChange(e.target.value)}
        className="mt-6 h-10 w-12 shrink-0 cursor-pointer rounded border border-gray-300 bg-white p-1 dark:border-gray-600 dark:bg-gray-900" />
      <div className="min-w-0 flex-1">
        <TextField label={label} value={value} maxLength={7} spellCheck={false} onChange={(e) => onChange(e.target.value.trim())}
          error={error ?? (weak ? hint : undefined)} hint={hint} />
      </div>
    </div>
  );
}

function Preview({ branding, logo, name }: { branding: Branding; logo: string | null; name: string }) {
  const vars = themeVariables(branding) as CSSProperties;
  return (
    <div data-brand="" data-brand-font="" style={vars} aria-label="Preview" role="img"
      className="overflow-hidden rounded-md ring-1 ring-gray-200 dark:ring-gray-700">
      <div className="brand-bar flex items-center gap-2 px-3 py-2">
        {logo ? <img src={logo} alt="" className="h-7 w-7 rounded bg-white object-contain" /> : null}
        <span className="truncate text-sm font-semibold">{name}</span>
      </div>
      <div className="space-y-3 bg-white p-3 text-gray-900 dark:bg-gray-900 dark:text-gray-100">
        <div className="flex gap-3 border-b border-gray-200 text-sm dark:border-gray-700">
          <span className="border-b-2 border-blue-700 pb-2 font-medium text-blue-800 dark:border-blue-400 dark:text-blue-200">Forums</span>
          <span className="pb-2 text-gray-700 dark:text-gray-300">Events</span>
        </div>
        <p className="text-sm">Welcome! Read the <span className="text-blue-700 underline dark:text-blue-300">community guidelines</span> first.</p>
        <span className="inline-flex rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white">New topic</span>
      </div>
    </div>
  );
}

/** Colours, font and logo, with a live preview (admins; the Enterprise plan when billing is on). */
export function BrandingSettings() {
  const { slug, org } = useOrg();
  const saved = org.branding as Branding;
  const save = useSaveBranding(slug);
  const removeLogo = useRemoveLogo(slug);
  const [form, setForm] = useState({
    primary_color: saved.primary_color ?? DEFAULTS.primary_color,
    accent_color: saved.accent_color ?? DEFAULTS.accent_color,
    font: saved.font ?? DEFAULTS.font,
  });
  const [logo, setLogo] = useState<{ file: File; url: string } | null>(null);
  const [uploading, setUploading] = useState<number | null>(null);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const errorOf = (name: string) => fieldError(save.error, name);
  const named = ["primary_color", "accent_color", "font", "logo_upload_id"];

  const pickLogo = (file: File | undefined) => {
    setUploadError(null);
    if (logo) URL.revokeObjectURL(logo.url);
    setLogo(file ? { file, url: URL.createObjectURL(file) } : null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setUploadError(null);
    let logo_upload_id: string | undefined;
    if (logo) {
      try {
        setUploading(0);
        logo_upload_id = (await uploadFile(slug, logo.file, "logo", setUploading)).id;
      } catch (error) {
        setUploadError(error);
        return;
      } finally {
        setUploading(null);
      }
    }
    save.mutate({ ...form, font: form.font as Branding["font"] & string, ...(logo_upload_id ? { logo_upload_id } : {}) } as Parameters<typeof save.mutate>[0], {
      onSuccess: () => pickLogo(undefined),
    });
  };

  const shownLogo = logo?.url ?? org.logo_url ?? null;
  return (
    <Card title="Branding">
      <form onSubmit={(e) => void submit(e)} className="grid gap-6 p-4 sm:p-6 md:grid-cols-2" noValidate>
        <div className="space-y-4">
          {save.isSuccess && !logo && <Notice>Branding saved: the whole community now uses it.</Notice>}
          <ErrorNotice error={save.error && !named.some((n) => errorOf(n)) ? save.error : uploadError} />
          <ColourField label="Primary colour" value={form.primary_color} error={errorOf("primary_color")}
            onChange={(primary_color) => setForm({ ...form, primary_color })} />
          <ColourField label="Accent colour" value={form.accent_color} error={errorOf("accent_color")}
            onChange={(accent_color) => setForm({ ...form, accent_color })} />
          <SelectField label="Font" value={form.font} error={errorOf("font")}
            onChange={(e) => { loadFont(e.target.value); setForm({ ...form, font: e.target.value }); }}>
            {FONTS.map((f) => <option key={f} value={f}>{f === "system" ? "System default" : f}</option>)}
          </SelectField>
          <div className="space-y-1">
            <label htmlFor="brand-logo" className="block text-sm font-medium text-gray-800 dark:text-gray-200">Logo</label>
            <input id="brand-logo" ref={fileInput} type="file" accept={LOGO_TYPES} onChange={(e) => pickLogo(e.target.files?.[0])}
              aria-describedby="brand-logo-hint" className="block w-full text-sm file:mr-3 file:rounded-md file:border-0 file:bg-gray-100 file:px-3 file:py-2 file:text-sm file:font-medium dark:file:bg-gray-800" />
            <p id="brand-logo-hint" className="text-xs text-gray-600 dark:text-gray-400">PNG, JPEG, GIF or WebP up to 5 MB; resized and stripped of metadata.</p>
            {errorOf("logo_upload_id") && <p className="text-sm text-red-700 dark:text-red-400">{errorOf("logo_upload_id")}</p>}
            {uploading !== null && <p className="text-sm" role="status">Uploading the logo… {Math.round(uploading * 100)}%</p>}
          </div>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" busy={save.isPending || uploading !== null}>Save branding</Button>
            {org.logo_url && !logo && (
              <Button variant="secondary" busy={removeLogo.isPending} onClick={() => removeLogo.mutate()}>Remove logo</Button>
            )}
            {logo && <Button variant="ghost" onClick={() => { pickLogo(undefined); if (fileInput.current) fileInput.current.value = ""; }}>Keep the current logo</Button>}
          </div>
        </div>
        <div className="space-y-2">
          <p className="text-sm font-medium text-gray-800 dark:text-gray-200">Preview</p>
          <Preview branding={form} logo={shownLogo} name={org.name} />
          <p className="text-xs text-gray-600 dark:text-gray-400">The primary colour is used for buttons, links and tabs, the accent for the bar with your logo.</p>
        </div>
      </form>
    </Card>
  );
}
