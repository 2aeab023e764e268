#pragma once
// PrefixCache: a replica's automatic prefix cache, as vLLM keeps it. KV
// blocks of a prompt's leading content stay in GPU memory after the request
// that computed them ends, and any later request on the replica whose prompt
// starts with the same content reuses them instead of prefilling them again.
// Freed blocks are evicted least recently freed first, and a sequence's tail
// before its head (vLLM frees a sequence's blocks in reverse order), only
// when the replica needs the memory.
//
// Content. A prompt's cacheable head is at most two segments, each named by
// a 64-bit key for its content: A (a system prompt, a persona, a whole
// repeated prompt; `a_tokens` long) and B after it (a conversation so far, or
// the rest of a repeated prompt). Two prompts share a block when they share
// every token up to its end, so blocks within A are keyed by A alone and
// blocks from A's last partial block on by A and B together; tokens past
// A and B are the request's own. Only whole blocks are cached.
//
// The cache keeps, per content key, how many of its blocks are cached and how
// many running requests hold them; held blocks are counted by the replica's
// own KV accounting (once per request that holds them: conservative where
// running requests share blocks, which vLLM stores once). Blocks no request
// holds are free but cached, and trim() evicts them, oldest first, until
// they fit in the replica's free memory.
//
// A request's own blocks (past its head) are kept as one entry that nothing
// matches, so that they take their place in the eviction order as vLLM's do.
//
// Cost: match, acquire and release are O(1) expected table operations with
// no allocation once the table and queue have grown (an unused cache
// allocates nothing); trim is O(1) per
// evicted or stale record. Not thread-safe; one per replica.
#include <cstdint>
#include <vector>

namespace capstan::serving {

struct PrefixContent {
  std::uint64_t a_key = 0;   // 0: no segment A
  std::int32_t a_tokens = 0;
  std::uint64_t b_key = 0;   // 0: no segment B
  std::int32_t b_tokens = 0;  // of this prompt (a conversation's answer may extend it at release)
  bool empty() const { return a_key == 0 && b_key == 0; }
};

class PrefixCache {
 public:
  explicit PrefixCache(std::int32_t block_tokens);

  // Tokens of `content`'s head cached here now, in whole blocks.
  std::int32_t match(const PrefixContent& content) const;
  // A request with this content was admitted: its head's blocks are held
  // while it runs.
  void acquire(const PrefixContent& content);
  // Its prefill is done: its head's blocks are computed, and later requests
  // find them.
  void computed(const PrefixContent& content);
  // The request ended or was preempted with `total_tokens` in its KV cache:
  // its blocks are free, cached until evicted, its own (past its head) ahead
  // of its head's, tail first as vLLM frees them; its own are never found
  // again, but they hold their place in the eviction order. `extra_b_tokens`
  // extends segment B past the prompt (a conversation's answer, which the
  // next turn's prompt repeats).
  void release(const PrefixContent& content, std::int64_t total_tokens, std::int32_t extra_b_tokens = 0);
  // Evicts free cached blocks, least recently freed first, until at most
  // `free_blocks` remain.
  void trim(std::int64_t free_blocks);
  // Forgets everything (the node is gone).
  void clear();

  std::int64_t free_cached_blocks() const { return free_blocks_; }
  std::int32_t block_tokens() const { return block_; }

 private:
  // One content entry, in an open-addressing table keyed by content key
  // (linear probing, backward-shift deletion; key 0 marks an empty slot).
  struct Entry {
    std::uint64_t key = 0;
    std::int32_t cached_blocks = 0;
    std::int32_t refs = 0;
    std::uint64_t freed_at = 0;  // its record in the eviction queue while free, else 0
  };
  // The eviction queue, least recently freed first: a content entry's
  // record is stale once the entry is held again or gone (its freed_at no
  // longer matches); a request's own blocks (key 0) are counted here alone.
  struct Freed {
    std::uint64_t key;
    std::uint64_t stamp;
    std::int32_t own_blocks;
  };
  // The entries a content's blocks belong to, and how many blocks of each it spans.
  struct Span {
    std::uint64_t a_key, ab_key;
    std::int32_t a_blocks, ab_blocks;
  };
  Span span(const PrefixContent& c, std::int32_t extra_b_tokens) const;
  void hold(std::uint64_t key);
  void unhold(std::uint64_t key, std::int32_t blocks);
  void free_entry(Entry& e);
  // The table.
  Entry* find(std::uint64_t key);
  const Entry* find(std::uint64_t key) const;
  Entry& insert(std::uint64_t key);
  void erase(std::uint64_t key);
  void grow();
  void pop_front();

  std::int32_t block_;
  std::vector<Entry> slots_;      // empty, or a power of two at most half full
  std::size_t used_ = 0;
  std::vector<Freed> queue_;      // from queue_head_ on; nothing is allocated before the first use
  std::size_t queue_head_ = 0;
  std::size_t live_records_ = 0;  // records of the queue that are not stale
  std::uint64_t stamp_ = 0;
  std::int64_t free_blocks_ = 0;  // cached blocks of free entries and own records
};

// Mixes two keys into one (a content key of A followed by B).
std::uint64_t mix_keys(std::uint64_t a, std::uint64_t b);

}  // namespace capstan::serving
