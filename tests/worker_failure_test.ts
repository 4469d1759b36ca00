import { ShimError } from "../ffi/error.ts";
import { CallError } from "../src/errors.ts";
import { fromFailure, toFailure } from "../src/worker_failure.ts";
import { assert, assertEquals } from "./_assert.ts";

Deno.test({
  name: "fromFailure(toFailure()) keeps the class of the errors the main thread acts on",
  permissions: "none",
}, () => {
  // The receiver counts a ShimError as a bad frame and ends the call on
  // anything else; main.ts prints a CallError as one line.
  const errors = [
    new CallError("Cannot open camera 0: device busy"),
    new ShimError("Cannot decode frame: not a JPEG"),
    new TypeError("not a function"),
    new RangeError("out of range"),
  ];
  for (const error of errors) {
    // A structured clone stands for the trip through a message.
    const back = fromFailure(structuredClone(toFailure(error)));
    assertEquals([back.constructor, back.name, back.message], [
      error.constructor,
      error.name,
      error.message,
    ]);
  }
});

Deno.test({
  name: "fromFailure() makes any other failure a plain Error that keeps the name",
  permissions: "none",
}, () => {
  const custom = new Error("gone");
  custom.name = "NotFound";
  const back = fromFailure(toFailure(custom));
  assertEquals([back.constructor, back.name, back.message], [Error, "NotFound", "gone"]);
  const thrown = fromFailure(toFailure("a string"));
  assertEquals([thrown.constructor, thrown.name, thrown.message], [Error, "Error", "a string"]);
  // Names that are properties of every object are not classes to rebuild.
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const error = fromFailure({ name, message: "text" });
    assert(error instanceof Error, name);
    assertEquals([error.constructor, error.name, error.message], [Error, name, "text"]);
  }
});
