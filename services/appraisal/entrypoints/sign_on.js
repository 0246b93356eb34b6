// Dashboard sign-on through the identity provider (authorization code + PKCE, public
// client), when appraisal is configured for one (GET /dashboard/sign-on.json). The access
// token lands where a pasted token would (the #token field and localStorage "erk-token"),
// and the field's change event makes the page load with it.
"use strict";
(() => {
  const PENDING = "erk-sign-on";  // sessionStorage: the request's state and PKCE verifier
  const el = (id) => document.getElementById(id);
  const show = (err) => { el("message").textContent = err.message || String(err); };
  const here = () => location.origin + location.pathname;
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

  async function signIn(config) {
    if (!crypto.subtle) throw new Error("sign-in needs https (or 127.0.0.1/localhost)");
    const verifier = random(), state = random();
    sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    const url = new URL(config.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: "code", client_id: config.client_id, redirect_uri: here(),
      scope: config.scope, state, code_challenge: b64url(digest),
      code_challenge_method: "S256",
    });
    location.assign(url);
  }

  async function finish(config, answer) {
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    sessionStorage.removeItem(PENDING);
    history.replaceState(null, "", here());  // the code is spent: out of the address bar
    if (answer.get("error")) throw new Error("sign-in refused: " +
      (answer.get("error_description") || answer.get("error")));
    if (!pending || pending.state !== answer.get("state") ||
        (answer.get("iss") && answer.get("iss") !== config.issuer))
      throw new Error("this sign-in answer is not for this page; sign in again");
    const res = await fetch(config.token_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code: answer.get("code"), redirect_uri: here(),
        client_id: config.client_id, code_verifier: pending.verifier,
      }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || !body.access_token) throw new Error("sign-in failed: " +
      (body.error_description || body.error || res.statusText));
    localStorage.setItem("erk-token", body.access_token);
    el("token").value = body.access_token;
    el("token").dispatchEvent(new Event("change"));
  }

  async function main() {
    const res = await fetch("/dashboard/sign-on.json");
    const config = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((config.error && config.error.message) || res.statusText);
    if (!config.enabled) return;
    const button = el("sign-in");
    button.hidden = false;
    button.onclick = () => signIn(config).catch(show);
    const answer = new URLSearchParams(location.search);
    if (answer.has("code") || answer.has("error")) await finish(config, answer);
  }
  main().catch(show);
})();
