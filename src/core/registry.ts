// One way to fill a plug-in registry (senders, receivers, sinks): set an entry and get back the
// function that undoes it, so that a test or a plug-in that registers something can remove it again.

/** Sets `key` in `map`; the returned function restores what it replaced (or removes it), unless it was replaced since. */
export function registerIn<K, V>(map: Map<K, V>, key: K, value: V): () => void {
  const before = map.get(key);
  map.set(key, value);
  return () => {
    if (map.get(key) !== value) return;
    if (before === undefined) map.delete(key);
    else map.set(key, before);
  };
}
