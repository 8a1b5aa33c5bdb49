import { KilnError } from '../errors/index.ts';
import { unknownVariableMessage, type VariableLookup } from './substitute.ts';

/**
 * Evaluates an `if:` condition the way melange's cond package does:
 *
 *   expr       := atom (('&&' | '||') atom)*
 *   atom       := '(' expr ')' | value ('==' | '!=') value
 *   value      := '…' | "…" | ${{name}}
 *
 * `&&` and `||` have equal precedence and combine left to right, exactly as melange
 * evaluates them (`a || b && c` is `(a || b) && c`); write parentheses when mixing
 * them. Quoted strings know the escapes \\ \' \" \n \t. A `${{name}}` is replaced by
 * its value, also inside quotes, so `"${{range.key}}" == "64"` works as it does after
 * melange's textual substitution. Pure: the result depends only on the arguments.
 * A malformed condition or an unknown variable is a RECIPE_INVALID error that quotes
 * the expression and the 1-based column.
 */
export function evaluateCondition(expr: string, lookup: VariableLookup): boolean {
  const p = new Parser(expr, lookup);
  const result = p.expr();
  p.skipBlanks();
  if (p.pos < expr.length) p.fail(`expected "&&", "||" or the end, found ${JSON.stringify(expr.slice(p.pos, p.pos + 12))}`);
  return result;
}

class Parser {
  pos = 0;
  readonly input: string;
  readonly lookup: VariableLookup;

  constructor(input: string, lookup: VariableLookup) {
    this.input = input;
    this.lookup = lookup;
  }

  fail(message: string, at = this.pos): never {
    throw new KilnError('RECIPE_INVALID', `condition ${JSON.stringify(this.input)}: column ${at + 1}: ${message}`);
  }

  skipBlanks(): void {
    while (this.pos < this.input.length && ' \t\r\n'.includes(this.input[this.pos] ?? '')) this.pos++;
  }

  expr(): boolean {
    let result = this.atom();
    for (;;) {
      this.skipBlanks();
      const op = this.input.slice(this.pos, this.pos + 2);
      if (op !== '&&' && op !== '||') return result;
      this.pos += 2;
      const rhs = this.atom();
      result = op === '&&' ? result && rhs : result || rhs;
    }
  }

  atom(): boolean {
    this.skipBlanks();
    if (this.input[this.pos] === '(') {
      this.pos++;
      const result = this.expr();
      this.skipBlanks();
      if (this.input[this.pos] !== ')') this.fail(`expected ")" ${this.foundHere()}`);
      this.pos++;
      return result;
    }
    const lhs = this.value();
    this.skipBlanks();
    const op = this.input.slice(this.pos, this.pos + 2);
    if (op !== '==' && op !== '!=') this.fail(`expected "==" or "!=" ${this.foundHere()}`);
    this.pos += 2;
    const rhs = this.value();
    return op === '==' ? lhs === rhs : lhs !== rhs;
  }

  value(): string {
    this.skipBlanks();
    const c = this.input[this.pos];
    if (c === "'" || c === '"') return this.quoted(c);
    if (this.input.startsWith('${{', this.pos)) return this.variable();
    return this.fail(`expected a quoted string or \${{variable}} ${this.foundHere()}`);
  }

  quoted(quote: string): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.input.length && this.input[this.pos] !== quote) {
      const c = this.input[this.pos] ?? '';
      if (c === '\\' && this.pos + 1 < this.input.length) {
        const e = this.input[this.pos + 1] ?? '';
        out += e === 'n' ? '\n' : e === 't' ? '\t' : '\\\'"'.includes(e) ? e : `\\${e}`;
        this.pos += 2;
      } else if (this.input.startsWith('${{', this.pos)) {
        out += this.variable();
      } else {
        out += c;
        this.pos++;
      }
    }
    if (this.pos >= this.input.length) this.fail(`the string opened here has no closing ${quote}`, start);
    this.pos++;
    return out;
  }

  variable(): string {
    const start = this.pos;
    this.pos += 3;
    this.skipBlanks();
    const nameStart = this.pos;
    while (this.pos < this.input.length && /[A-Za-z0-9._-]/.test(this.input[this.pos] ?? '')) this.pos++;
    const name = this.input.slice(nameStart, this.pos);
    if (name === '') this.fail('"${{" is not followed by a variable name', start);
    this.skipBlanks();
    if (!this.input.startsWith('}}', this.pos)) this.fail(`"\${{${name}" has no closing "}}"`, start);
    this.pos += 2;
    const value = this.lookup(name);
    if (value === undefined) this.fail(unknownVariableMessage(name), start);
    return value;
  }

  foundHere(): string {
    if (this.pos >= this.input.length) return 'but the condition ends';
    return `but found ${JSON.stringify(this.input.slice(this.pos, this.pos + 12))}`;
  }
}
