/**
 * Source text with the place it comes from, as the API takes a form (`server/api/form.ts`)
 * and as the editor sends code to evaluate (`crew/eval*` in `messages/lsp-messages.ts`).
 * Declared once so that an editor's selection and an API call place code the same way, and
 * errors and the debugger point at the same file, line and column.
 */

/** Source text placed at its file, line and column. */
export interface PlacedSource {
  code: string;
  /** The file the code comes from; `.ts` files are TypeScript. */
  filename?: string;
  /** 1-based line and column of the code's first character in `filename`. */
  line?: number;
  column?: number;
}

/** Source text with where it came from, so errors and the debugger can point at it. */
export interface FormSource extends PlacedSource {
  /** Force a language; by default `.ts` files are TypeScript and other code is tried as JavaScript first. */
  lang?: 'js' | 'ts';
}
