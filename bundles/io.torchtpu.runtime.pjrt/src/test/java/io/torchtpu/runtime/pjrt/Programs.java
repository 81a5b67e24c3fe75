package io.torchtpu.runtime.pjrt;

/** StableHLO test programs. */
final class Programs {
  private Programs() {}

  static final String ADD_F32_4 = """
      module @add {
        func.func public @main(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
          %0 = stablehlo.add %arg0, %arg1 : tensor<4xf32>
          return %0 : tensor<4xf32>
        }
      }
      """;

  static final String MATMUL = """
      module @matmul {
        func.func public @main(%lhs: tensor<2x3xf32>, %rhs: tensor<3x4xf32>) -> tensor<2x4xf32> {
          %0 = stablehlo.dot_general %lhs, %rhs, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
          return %0 : tensor<2x4xf32>
        }
      }
      """;

  static final String REDUCE_SUM = """
      module @reduce_sum {
        func.func public @main(%arg0: tensor<3x5xf32>) -> tensor<3xf32> {
          %init = stablehlo.constant dense<0.000000e+00> : tensor<f32>
          %0 = stablehlo.reduce(%arg0 init: %init) applies stablehlo.add across dimensions = [1] : (tensor<3x5xf32>, tensor<f32>) -> tensor<3xf32>
          return %0 : tensor<3xf32>
        }
      }
      """;

  /** NHWC input [1,5,4,2] with HWIO kernel [2,3,2,3], stride 1, no padding -> [1,4,2,3]. */
  static final String CONV2D = """
      module @conv2d {
        func.func public @main(%x: tensor<1x5x4x2xf32>, %w: tensor<2x3x2x3xf32>) -> tensor<1x4x2x3xf32> {
          %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [1, 1], pad = [[0, 0], [0, 0]], lhs_dilate = [1, 1], rhs_dilate = [1, 1]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x5x4x2xf32>, tensor<2x3x2x3xf32>) -> tensor<1x4x2x3xf32>
          return %0 : tensor<1x4x2x3xf32>
        }
      }
      """;

  static final String MULTI_OUTPUT = """
      module @multi {
        func.func public @main(%a: tensor<2x2xf64>, %b: tensor<2x2xf64>, %n: tensor<3xi32>) -> (tensor<2x2xf64>, tensor<2x2xf64>, tensor<i32>, tensor<3xi32>) {
          %sum = stablehlo.add %a, %b : tensor<2x2xf64>
          %prod = stablehlo.multiply %a, %b : tensor<2x2xf64>
          %zero = stablehlo.constant dense<0> : tensor<i32>
          %total = stablehlo.reduce(%n init: %zero) applies stablehlo.add across dimensions = [0] : (tensor<3xi32>, tensor<i32>) -> tensor<i32>
          %neg = stablehlo.negate %n : tensor<3xi32>
          return %sum, %prod, %total, %neg : tensor<2x2xf64>, tensor<2x2xf64>, tensor<i32>, tensor<3xi32>
        }
      }
      """;

  /** Syntax error on line 3 (an unknown op). */
  static final String INVALID = """
      module @bad {
        func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
          %0 = stablehlo.not_an_op %arg0 : tensor<4xf32>
          return %0 : tensor<4xf32>
        }
      }
      """;

  /** Type error: adding a tensor<4xf32> to a tensor<3xf32>. */
  static final String TYPE_ERROR = """
      module @bad_types {
        func.func public @main(%arg0: tensor<4xf32>, %arg1: tensor<3xf32>) -> tensor<4xf32> {
          %0 = stablehlo.add %arg0, %arg1 : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
          return %0 : tensor<4xf32>
        }
      }
      """;
}
