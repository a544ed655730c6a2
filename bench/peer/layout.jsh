// Prints "preset role size" then "preset role name d0xd1" per tensor of model.ParameterLayout, for every preset.
import org.diffusion4j.config.*;
import org.diffusion4j.model.*;
for (Preset p : Presets.all()) {
    for (Preset.Net n : p.networks()) {
        ParameterLayout l = ParameterLayout.of(n.spec());
        System.out.println(p.name() + " " + n.role() + " size " + l.size());
        for (ParameterLayout.Tensor t : l.tensors()) {
            System.out.println(p.name() + " " + n.role() + " tensor " + t.name() + " "
                    + java.util.Arrays.stream(t.shape()).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining("x")));
        }
    }
}
/exit
