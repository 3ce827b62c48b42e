module gosync/shapes

go 1.19
