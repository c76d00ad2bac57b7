/** Driving GraphiQL 3 from a test: tabs, the run button, the editors. */
import type { Page } from 'playwright-core';

/** Waits until GraphiQL has rendered its tabs. */
export async function graphiqlReady(page: Page): Promise<void> {
  await page.locator('.graphiql-tab').first().waitFor();
}

export async function openTab(page: Page, title: string): Promise<void> {
  await page.locator('.graphiql-tab-button').filter({ hasText: new RegExp(`^${title}$`) }).click();
  await page.locator('.graphiql-tab-active .graphiql-tab-button').filter({ hasText: new RegExp(`^${title}$`) }).waitFor();
}

/** Presses the run button (which stops a running subscription). */
export async function run(page: Page): Promise<void> {
  await page.locator('.graphiql-execute-button').click();
}

/** The text in the result pane. */
export function responseText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const editor = document.querySelector('section.result-window .CodeMirror') as (Element & { CodeMirror?: { getValue(): string } }) | null;
    return editor?.CodeMirror?.getValue() ?? '';
  });
}

/** Shows the Headers editor and pastes `text` over its content, as a person would. */
export async function pasteHeaders(page: Page, text: string): Promise<void> {
  await page.locator('.graphiql-editor-tools button', { hasText: /^Headers$/ }).click();
  const editor = page.locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}
