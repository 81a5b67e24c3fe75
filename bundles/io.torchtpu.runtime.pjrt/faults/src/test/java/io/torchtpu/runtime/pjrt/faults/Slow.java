package io.torchtpu.runtime.pjrt.faults;

/** A program that runs for seconds on the XLA CPU plugin: a long loop of transcendental ops that XLA cannot fold. */
final class Slow {
    static final String PROGRAM;

    static {
        StringBuilder body = new StringBuilder();
        String previous = "%x";
        String[] ops = {"sine", "cosine", "tanh", "exponential"};
        for (int i = 0; i < 16; i++) {
            body.append("          %y").append(i).append(" = stablehlo.").append(ops[i % ops.length]).append(' ')
                    .append(previous).append(" : tensor<f32>\n");
            previous = "%y" + i;
        }
        PROGRAM = """
                module @slow {
                  func.func public @main(%arg0: tensor<f32>) -> tensor<f32> {
                    %zero = stablehlo.constant dense<0> : tensor<i64>
                    %one = stablehlo.constant dense<1> : tensor<i64>
                    %limit = stablehlo.constant dense<20000000> : tensor<i64>
                    %r:2 = stablehlo.while(%i = %zero, %x = %arg0) : tensor<i64>, tensor<f32>
                      cond {
                        %c = stablehlo.compare LT, %i, %limit : (tensor<i64>, tensor<i64>) -> tensor<i1>
                        stablehlo.return %c : tensor<i1>
                      } do {
                        %n = stablehlo.add %i, %one : tensor<i64>
                """ + body + """
                        stablehlo.return %n, PREVIOUS : tensor<i64>, tensor<f32>
                      }
                    return %r#1 : tensor<f32>
                  }
                }
                """.replace("PREVIOUS", previous);
    }

    private Slow() {
    }
}
