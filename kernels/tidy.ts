/**
 * `tf.tidy` for results that hold tensors in plain objects with null fields: the tensors found
 * anywhere in the result are kept, every other tensor made inside `fn` is disposed.
 */
import * as tf from '@tensorflow/tfjs-core';

export function tidy<R>(fn: () => R): R {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as R;
}
