// Prints one JSON line per preset network: initial parameters, a small batch and the reference network's output
// on it (double precision), for bench/peer/pytorch_presets.py --check-forward.
import org.diffusion4j.config.*;
import org.diffusion4j.model.*;
import org.diffusion4j.process.*;
import org.diffusion4j.engine.reference.ReferenceNetwork;
String arr(double[] a) { return java.util.Arrays.toString(a); }
String arr(int[] a) { return java.util.Arrays.toString(a); }
String arr(float[] a) { return java.util.Arrays.toString(a); }
double[] xy = {0.3, -0.2, 1.1, 0.5, -0.7, 0.9, 0.05, -1.3};
for (Preset p : Presets.all()) {
    ForwardProcess proc = p.process();
    double[] t = proc instanceof Ddpm d ? new double[] {0, 17, 99, d.steps() - 1}
            : proc instanceof OrnsteinUhlenbeck ? new double[] {1e-5, 0.25, 0.5, 1.0}
            : proc instanceof GaussianPath ? new double[] {0, 0.3, 0.7, 0.999} : new double[] {0, 0, 0, 0};
    for (Preset.Net n : p.networks()) {
        Conditioning c = n.spec().conditioning();
        int[] labels = c instanceof Conditioning.OneHot ? new int[] {0, 3, 5, 7} : c instanceof Conditioning.LabelEmbedding ? new int[] {0, 1, 1, 0} : null;
        double[] values = c instanceof Conditioning.Continuous ? new double[] {2.5, 3.0, 3.5, 2.9} : null;
        float[] params = NetworkInit.initialize(n.spec(), 7);
        ReferenceNetwork net = new ReferenceNetwork(n.spec(), params);
        double[] out = net.output(net.forward(xy, t, new Condition(labels, values)));
        System.out.println("{\"preset\": \"" + p.name() + "\", \"role\": \"" + n.role() + "\", \"xy\": " + arr(xy) + ", \"t\": " + arr(t)
                + ", \"labels\": " + (labels == null ? "null" : arr(labels)) + ", \"values\": " + (values == null ? "null" : arr(values))
                + ", \"params\": " + arr(params) + ", \"out\": " + arr(out) + "}");
    }
}
/exit
