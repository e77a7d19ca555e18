/**
 * The first-in, first-out queue both ends use: the scheduler's tasks, the eval thread's
 * tasks, agents' mailboxes, results waiting for an async iterator. A ring over an array
 * whose size is a power of two, so taking from the front costs the same as adding at the
 * back and neither allocates; the array doubles when full, and a large one that empties is
 * let go, so a burst does not hold its memory for ever.
 */

const FIRST_CAPACITY = 16;
/** An empty queue whose array is larger than this drops it for a small one. */
const KEEP_CAPACITY = 1 << 16;

/** First in, first out: push at the back, shift from the front, pushFront to put items back. */
export class Queue<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(FIRST_CAPACITY);
  private mask = FIRST_CAPACITY - 1;
  private head = 0;
  private count = 0;

  /** How many items are queued. */
  get length(): number {
    return this.count;
  }

  /** Adds `item` at the back. */
  push(item: T): void {
    if (this.count > this.mask) this.grow(this.count + 1);
    this.items[(this.head + this.count++) & this.mask] = item;
  }

  /** Takes the item at the front, or undefined when the queue is empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    // Cleared so that a taken item can be collected while the queue lives on.
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    if (--this.count === 0) this.emptied();
    return item;
  }

  /** The item at the front, left in place; undefined when the queue is empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Puts `items` back at the front, in their order, ahead of everything queued. */
  pushFront(items: readonly T[]): void {
    if (items.length === 0) return;
    if (this.count + items.length > this.mask + 1) this.grow(this.count + items.length);
    for (let i = items.length - 1; i >= 0; i--) {
      this.head = (this.head - 1) & this.mask;
      this.items[this.head] = items[i];
    }
    this.count += items.length;
  }

  /** Empties the queue. */
  clear(): void {
    if (this.count === 0) return;
    if (this.mask + 1 > KEEP_CAPACITY) this.reset();
    else {
      for (let i = 0; i < this.count; i++) this.items[(this.head + i) & this.mask] = undefined;
      this.head = 0;
      this.count = 0;
    }
  }

  /** Takes every queued item, front first, leaving the queue empty. */
  drain(): T[] {
    const out = this.toArray();
    this.clear();
    return out;
  }

  /** Takes out the items that `match`, front first; the others keep their order. */
  removeWhere(match: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    for (const item of this.drain()) (match(item) ? removed : kept).push(item);
    this.pushFront(kept);
    return removed;
  }

  /** The queued items, front first, left in place. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) & this.mask] as T;
    return out;
  }

  /** Iterates front to back without taking anything. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  /** Moves the items, in order, to the start of an array that holds at least `needed`. */
  private grow(needed: number): void {
    let capacity = (this.mask + 1) * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.mask = capacity - 1;
    this.head = 0;
  }

  private emptied(): void {
    if (this.mask + 1 > KEEP_CAPACITY) this.reset();
    else this.head = 0;
  }

  private reset(): void {
    this.items = new Array<T | undefined>(FIRST_CAPACITY);
    this.mask = FIRST_CAPACITY - 1;
    this.head = 0;
    this.count = 0;
  }
}
