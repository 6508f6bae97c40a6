// Server endpoints the app uses that arrive in stages. A screen or button that needs one appears only
// once it is `true` here (no dead buttons); flip it in the commit that lands on top of the endpoint.

export const serverFeatures = {
  /** PATCH /api/me, /api/me/password, password reset, e-mail verification, logout, logout-all. */
  accounts: false,
  /** PATCH /api/orgs/{org} branding (colours, font, logo_upload_id) and /api/orgs/{org}/domain (+ /verify). */
  branding: true,
} as const;
