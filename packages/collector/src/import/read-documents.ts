// Kubernetes data files as a stream of parsed documents, in bounded memory: JSON lines (audit
// logs) line by line, concatenated or pretty JSON (`kubectl get -w -o json`) and `List`s through a
// streaming tokenizer that hands over each item of a top-level `items` array on its own, YAML
// document by document. Memory holds one document (one List item), never the file.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import Assembler from 'stream-json/assembler.js';
import { parser, type Token } from 'stream-json/parser.js';
import { parseAllDocuments } from 'yaml';

/** A parsed document, or why one could not be read. */
export type FileDocument = { value: unknown } | { bad: string };

export interface ReadDocumentsOptions {
  /** Largest YAML document or JSON line read (bytes, default 64 MiB); longer ones are counted bad. */
  maxDocumentBytes?: number;
}

type Format = 'jsonl' | 'json' | 'yaml';

/** JSON lines when the first line is a whole JSON value, JSON when it starts one, else YAML. */
async function detect(path: string): Promise<Format> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const first = head.trimStart()[0];
    if (first !== '{' && first !== '[') return 'yaml';
    const nl = head.indexOf('\n');
    if (nl < 0) return 'json';
    try {
      JSON.parse(head.slice(0, nl));
      return 'jsonl';
    } catch {
      return 'json';
    }
  } finally {
    await fh.close();
  }
}

async function* jsonLines(path: string, max: number): AsyncGenerator<FileDocument> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.length > max) {
      yield { bad: 'document-too-large' };
      continue;
    }
    try {
      yield { value: JSON.parse(line) };
    } catch {
      yield { bad: 'invalid-json' };
    }
  }
}

/**
 * Concatenated JSON values; the items of a top-level object's `items` array (a `List`) one by one.
 * A syntax error ends the file (counted once): the tokenizer cannot find the next value after it.
 */
async function* jsonValues(path: string): AsyncGenerator<FileDocument> {
  const tokens = createReadStream(path).pipe(
    parser.asStream({ jsonStreaming: true, packValues: true, streamValues: false }),
  );
  let top: Assembler | undefined;
  let item: Assembler | undefined;
  /** inside the top-level object's `items` array */
  let inItems = false;
  let splitItems = false;
  let key: string | undefined;
  let depth = 0;
  try {
    for await (const tok of tokens as AsyncIterable<Token>) {
      if (inItems) {
        if (item === undefined) {
          if (tok.name === 'endArray') {
            inItems = false;
            depth--;
            // the List itself keeps `items: null`: its items went out one by one
            top?.consume({ name: 'nullValue', value: null });
            continue;
          }
          item = new Assembler();
        }
        item.consume(tok);
        if (item.done) {
          yield { value: item.current };
          item = undefined;
        }
        continue;
      }
      if (depth === 0) {
        top = new Assembler();
        splitItems = false;
        key = undefined;
      }
      if (tok.name === 'startObject' || tok.name === 'startArray') depth++;
      else if (tok.name === 'endObject' || tok.name === 'endArray') depth--;
      if (depth === 1 && tok.name === 'keyValue') key = String(tok.value);
      if (depth === 2 && tok.name === 'startArray' && key === 'items' && !Array.isArray(top?.current)) {
        inItems = true;
        splitItems = true;
        continue;
      }
      top?.consume(tok);
      if (depth === 0 && top?.done) {
        if (!splitItems) yield { value: top.current };
        top = undefined;
      }
    }
  } catch {
    yield { bad: 'invalid-json' };
  }
}

async function* yamlDocuments(path: string, max: number): AsyncGenerator<FileDocument> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let doc: string[] = [];
  let size = 0;
  let tooLarge = false;
  function* flush(): Generator<FileDocument> {
    if (tooLarge) yield { bad: 'document-too-large' };
    else if (doc.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))) {
      try {
        for (const d of parseAllDocuments(doc.join('\n'))) {
          if (d.errors.length > 0) yield { bad: 'invalid-yaml' };
          else yield { value: d.toJS() };
        }
      } catch {
        yield { bad: 'invalid-yaml' };
      }
    }
    doc = [];
    size = 0;
    tooLarge = false;
  }
  for await (const line of lines) {
    if (/^---(\s|$)/.test(line) || /^\.\.\.\s*$/.test(line)) {
      yield* flush();
      continue;
    }
    if (tooLarge) continue;
    size += line.length + 1;
    if (size > max) {
      tooLarge = true;
      doc = [];
      continue;
    }
    doc.push(line);
  }
  yield* flush();
}

/**
 * The documents of a Kubernetes data file, one at a time.
 *
 * @example
 * for await (const d of readDocuments('audit.log')) if ('value' in d) handle(d.value);
 */
export async function* readDocuments(
  path: string,
  options: ReadDocumentsOptions = {},
): AsyncGenerator<FileDocument> {
  const max = options.maxDocumentBytes ?? 64 * 1024 * 1024;
  const format = await detect(path);
  if (format === 'jsonl') yield* jsonLines(path, max);
  else if (format === 'json') yield* jsonValues(path);
  else yield* yamlDocuments(path, max);
}
