/**
 * Which GraphiQL tab a subscription belongs to, and a way to write into that
 * tab's result pane even when another tab is active.
 *
 * GraphiQL 3 runs one operation at a time and writes every result into the
 * *active* tab: switching tabs stops a running subscription without a word in
 * its own tab, and a close that arrives just after lands in whichever tab is
 * active (the logout tab, typically). The fetcher keeps a subscription running
 * when its tab is left, and routes its values and its end here, to its own tab.
 */

/** The part of GraphiQL's editor context this needs (from `useEditorContext()`). */
export interface EditorView {
  readonly tabs: readonly { readonly id: string; response: string | null }[];
  readonly activeTabIndex: number;
  readonly responseEditor: { setValue(value: string): void } | null;
  updateActiveTabValues(values: { response: string }): void;
}

export interface TabAccess {
  /** The id of the tab shown now; undefined before GraphiQL rendered. */
  activeTabId(): string | undefined;
  /** Whether the tab is still open. */
  exists(tabId: string): boolean;
  /** Puts `text` in that tab's result pane (shown at once if it is active, else when it is opened). */
  write(tabId: string, text: string): void;
}

export class GraphiQLTabs implements TabAccess {
  #view: EditorView | undefined;

  /** Called on every render of a component inside GraphiQL, so the view is always the current one. */
  update(view: EditorView): void {
    this.#view = view;
  }

  activeTabId(): string | undefined {
    const view = this.#view;
    return view?.tabs[view.activeTabIndex]?.id;
  }

  exists(tabId: string): boolean {
    return this.#view?.tabs.some((tab) => tab.id === tabId) ?? false;
  }

  write(tabId: string, text: string): void {
    const view = this.#view;
    if (view === undefined) return;
    const index = view.tabs.findIndex((tab) => tab.id === tabId);
    const tab = view.tabs[index];
    if (tab === undefined) return;
    if (index === view.activeTabIndex) {
      view.responseEditor?.setValue(text);
      view.updateActiveTabValues({ response: text });
    } else {
      // GraphiQL has no setter for an inactive tab; its tab objects are kept as they are until the tab
      // is active again, and opening a tab shows its `response`.
      tab.response = text;
    }
  }
}
