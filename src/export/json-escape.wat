;; JSON string escaping of valid UTF-8, 16 bytes at a time (the exporter's hottest loop; see json-bytes.ts).
;; Built into json-escape-wasm.ts by `npm run build:wasm`; json-bytes.test.ts checks the two agree.
;;
;; Memory (imported and shared: shared-memory.ts): bytes 0..255 hold, per byte value, the letter of its short
;; escape (`n` for 0x0A, `"` for 0x22...), 0 where JSON.stringify writes \u00XX, and 0xFF for bytes copied as
;; they are; 256..271 the hex digits. The input is at `in` and the escaped bytes go to [out, returned end):
;; the caller's copy areas, or the input ring and a batch slot where the memory holds them. Only [out, end) is
;; written: a vector store runs only while 16 more input bytes remain, and each gives at least one byte.
(module
  (import "env" "memory" (memory 8 32768 shared))
  (func (export "escape") (param $in i32) (param $n i32) (param $out i32) (result i32)
    (local $end i32)
    (local $v v128)
    (local $mask i32)
    (local $k i32)
    (local $c i32)
    (local $short i32)
    (local.set $end (i32.add (local.get $in) (local.get $n)))
    (block $scalar
      (loop $vector
        (br_if $scalar (i32.lt_u (i32.sub (local.get $end) (local.get $in)) (i32.const 16)))
        (local.set $v (v128.load (local.get $in)))
        (local.set $mask
          (i8x16.bitmask
            (v128.or
              (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
              (v128.or
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c)))))))
        ;; The 16 bytes are stored whatever they hold: bytes past the first escape are overwritten next.
        (v128.store (local.get $out) (local.get $v))
        (if (i32.eqz (local.get $mask))
          (then
            (local.set $in (i32.add (local.get $in) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (br $vector)))
        (local.set $k (i32.ctz (local.get $mask)))
        (local.set $in (i32.add (local.get $in) (local.get $k)))
        (local.set $out (i32.add (local.get $out) (local.get $k)))
        (local.set $c (i32.load8_u (local.get $in)))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (local.set $out (call $emit (local.get $c) (local.get $out)))
        (br $vector)))
    ;; The last 0..15 bytes, one at a time.
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $in) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $in)))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (local.set $short (i32.load8_u (local.get $c)))
        (if (i32.eq (local.get $short) (i32.const 0xff))
          (then
            (i32.store8 (local.get $out) (local.get $c))
            (local.set $out (i32.add (local.get $out) (i32.const 1))))
          (else
            (local.set $out (call $emit (local.get $c) (local.get $out)))))
        (br $tail)))
    (local.get $out))

  ;; Write the escape of byte $c at $out; returns the position after it.
  (func $emit (param $c i32) (param $out i32) (result i32)
    (local $short i32)
    (local.set $short (i32.load8_u (local.get $c)))
    (i32.store8 (local.get $out) (i32.const 0x5c))
    (if (result i32) (local.get $short)
      (then
        (i32.store8 offset=1 (local.get $out) (local.get $short))
        (i32.add (local.get $out) (i32.const 2)))
      (else
        ;; \u00XX with lower-case hex digits, as JSON.stringify writes them.
        (i32.store8 offset=1 (local.get $out) (i32.const 0x75))
        (i32.store8 offset=2 (local.get $out) (i32.const 0x30))
        (i32.store8 offset=3 (local.get $out) (i32.const 0x30))
        (i32.store8 offset=4 (local.get $out)
          (i32.load8_u offset=256 (i32.shr_u (local.get $c) (i32.const 4))))
        (i32.store8 offset=5 (local.get $out)
          (i32.load8_u offset=256 (i32.and (local.get $c) (i32.const 15))))
        (i32.add (local.get $out) (i32.const 6)))))
)
