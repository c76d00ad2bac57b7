/**
 * GraphiQL's dialogs (Radix, through react-remove-scroll) inject one small
 * <style> element. The page's CSP admits inline styles only with the nonce
 * the server put in `<meta name="csp-nonce">`; react-style-singleton asks
 * get-nonce for it, which reads `__webpack_nonce__`.
 */
export function adoptStyleNonce(doc: Document = document): void {
  const nonce = doc.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  if (nonce !== undefined && nonce !== '' && !nonce.startsWith('__')) {
    (globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ = nonce;
  }
}
